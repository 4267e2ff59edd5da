/**
 * The server-cost sections of research/RESULTS.md: the goals judged on what each operation costs
 * Redis, the cost table (commandstats µs and CPU µs per request) and the instruction counts.
 *
 * @module
 */
import type { ServerResult } from "../server/types.ts";
import { SUBJECT_NAMES, type SubjectKey } from "../../bench/subjects.ts";
import { fmtInt, fmtNum, fmtRatio, table } from "../../bench/report/format.ts";
import { floorOf, type Measure, MEASURE_NAMES, MEASURES, ServerFigures } from "./server_data.ts";

/** The measures of the cost mode (not the instruction counts). */
const COST: Measure[] = ["usec", "cpu", "cpuPipe"];

interface ServerGoal {
  goal: string;
  op: string;
  /** What this adapter is compared with. */
  against: SubjectKey;
  threshold: number;
  /** The least any script could do, when it is not `against` itself: the floor of the goal. */
  floor?: SubjectKey;
  /** Said after the verdict. */
  note?: string;
}

const GOALS: ServerGoal[] = [
  {
    goal: "setSession ≤ 1.3× its floor script",
    op: "setSession",
    against: "floor",
    threshold: 1.3,
  },
  {
    goal: "deleteSession ≤ 1.3× its floor script",
    op: "deleteSession",
    against: "floor",
    threshold: 1.3,
  },
  {
    goal: "getSessionsByUserId(10) ≤ 1.0× 2.1.2",
    op: "getSessionsByUserId(10)",
    against: "v2",
    threshold: 1.0,
    floor: "raw",
  },
  {
    goal: "getSessionsByUserId(100) ≤ 1.0× 2.1.2",
    op: "getSessionsByUserId(100)",
    against: "v2",
    threshold: 1.0,
    floor: "raw",
  },
  {
    goal: "deleteSessionsByUserId(10) ≤ 1.0× 2.1.2 (floor: ZRANGE + DEL)",
    op: "deleteSessionsByUserId(10)",
    against: "v2",
    threshold: 1.0,
    floor: "floor",
  },
  {
    goal: "getSession ≤ 1.05× a raw GET",
    op: "getSession",
    against: "raw",
    threshold: 1.05,
    note: "the adapter sends the very same single `GET` as the raw client; a µs difference " +
      "comes from how its requests arrive (pipelined, a faster client fills bigger batches)",
  },
  {
    goal: "Lucia-like mix ≤ 1.0× 2.1.2's Redis cost",
    op: "mix",
    against: "v2",
    threshold: 1.0,
    floor: "floor",
  },
];

function verdict(ratios: Partial<Record<Measure, number>>, threshold: number): string {
  const judged = MEASURES.filter((m) => Number.isFinite(ratios[m]));
  if (judged.length === 0) return "not measured";
  const met = judged.filter((m) => ratios[m]! <= threshold);
  if (met.length === judged.length) return "met";
  if (met.length === 0) return "**missed**";
  return `**missed** on ${
    judged.filter((m) => !met.includes(m)).map((m) => MEASURE_NAMES[m]).join(", ")
  }; met on ${met.map((m) => MEASURE_NAMES[m]).join(", ")}`;
}

/** The A/A control's ratio to this adapter per operation: the noise of the cost figures. */
function noise(f: ServerFigures): string {
  const parts: string[] = [];
  let worst = 0;
  for (const op of f.costOps()) {
    const xs = COST.map((m) => f.ratio(op, "ours2", "ours", m));
    if (!xs.some(Number.isFinite)) continue;
    parts.push(`${op} ${xs.map(fmtRatio).join(" / ")}`);
    for (const x of xs) if (Number.isFinite(x)) worst = Math.max(worst, Math.abs(x - 1));
  }
  if (parts.length === 0) return "";
  return "**Noise, measured:** the A/A control (this adapter again, a second instance, measured " +
    "as its own cells beside the first) would be 1.00× on a quiet machine; its ratio to this " +
    `adapter (${COST.map((m) => MEASURE_NAMES[m]).join(" / ")}) was: ${parts.join("; ")}. ` +
    `So a cost ratio within ±${(worst * 100).toFixed(0)} % of a threshold is within this ` +
    "run's noise. Instruction counts are not subject to it (see their spread below).";
}

/** The server-cost goals. */
function goalsTable(f: ServerFigures): string {
  const rows = GOALS.map((g) => {
    const ours: Partial<Record<Measure, number>> = {};
    const floor: Partial<Record<Measure, number>> = {};
    for (const m of MEASURES) {
      ours[m] = f.ratio(g.op, "ours", g.against, m);
      if (g.floor) floor[m] = f.ratio(g.op, g.floor, g.against, m);
    }
    return [
      g.goal,
      ...MEASURES.map((m) => fmtRatio(ours[m] ?? NaN)),
      g.floor
        ? `${SUBJECT_NAMES[g.floor]}: ${MEASURES.map((m) => fmtRatio(floor[m] ?? NaN)).join(" / ")}`
        : "(is the reference)",
      verdict(ours, g.threshold) + (g.note ? `: ${g.note}` : ""),
    ];
  });
  rows.push([
    "Capacity of a Redis-bound deployment on the mix, ours ÷ 2.1.2 (= 2.1.2's cost ÷ ours)",
    ...MEASURES.map((m) => fmtRatio(f.ratio("mix", "v2", "ours", m))),
    "",
    "(a figure)",
  ]);
  return table(
    [
      "goal (this adapter's cost ÷ the reference's)",
      ...MEASURES.map((m) => MEASURE_NAMES[m]),
      "the floor ÷ the reference, same four",
      "met?",
    ],
    rows,
    ["---", "--:", "--:", "--:", "--:", "---", "---"],
  );
}

/** The cost table: per operation and subject, µs per request and the ratios. */
function costTable(f: ServerFigures): string {
  const rows: string[][] = [];
  // The Lucia v2 entry, and updateSession (its and 2.1.2's only), are in v2_entry.ts's section.
  for (const op of f.costOps().filter((x) => f.costSubjects(x).includes("ours"))) {
    const floor = floorOf(op);
    for (const s of f.costSubjects(op).filter((x) => x !== "oursV2")) {
      const vs = (b: SubjectKey) =>
        COST.map((m) =>
          s === b || !f.costSubjects(op).includes(b) ? "" : fmtRatio(f.ratio(op, s, b, m))
        );
      rows.push([
        op,
        s === "ours" ? `**${SUBJECT_NAMES[s]}**` : SUBJECT_NAMES[s],
        f.commands(op, s),
        ...COST.map((m) => fmtNum(f.per(op, s, m), 2)),
        ...vs("v2"),
        ...vs(floor),
      ]);
    }
  }
  const names = ["commandstats", "CPU 1/conn.", "CPU pipelined"];
  return table(
    [
      "operation",
      "subject",
      "top-level commands/request",
      ...names.map((n) => `${n} µs/request`),
      ...names.map((n) => `÷ 2.1.2, ${n}`),
      ...names.map((n) => `÷ floor, ${n}`),
    ],
    rows,
    ["---", "---", "---", ...Array(9).fill("--:")],
  );
}

/** The instruction counts per operation. */
function instructionsTable(f: ServerFigures): string {
  const subjects: SubjectKey[] = ["ours", "floor", "v2", "raw"];
  const ops = f.instructionOps().filter((op) => Number.isFinite(f.per(op, "ours", "instr")));
  const rows = ops.map((op) => {
    const floor = floorOf(op);
    let spread = 0;
    for (const s of subjects) {
      const x = f.spread(op, s, "instr");
      if (Number.isFinite(x)) spread = Math.max(spread, x);
    }
    return [
      op,
      ...subjects.map((s) => fmtInt(f.per(op, s, "instr"))),
      fmtRatio(f.ratio(op, "ours", floor, "instr")),
      fmtRatio(f.ratio(op, "ours", "v2", "instr")),
      `${(spread * 100).toFixed(1)} %`,
    ];
  });
  return table(
    [
      "operation",
      "this adapter",
      "floor script",
      "adapter 2.1.2",
      "raw client",
      "ours ÷ floor",
      "ours ÷ 2.1.2",
      "spread over repeats",
    ],
    rows,
  );
}

/** A regime of the cost mode in words. */
function regime(r: ServerResult, i: number): string {
  const x = r.costRegimes[i];
  if (!x) return "(not run)";
  return x.connections === 1
    ? `${x.concurrency} requests in flight on one connection`
    : `${x.connections} connections, ${x.concurrency} requests in flight in all`;
}

/** The sections "Redis server cost per operation" and "Instructions per request". */
export function serverCostSections(r: ServerResult): string[] {
  const f = new ServerFigures(r);
  const { cost: costRepeats, instr: instrRepeats } = f.repeats();
  const lines: string[] = [];
  if (r.cost.length) {
    lines.push(
      "## Redis server cost per operation",
      "",
      "What each operation costs the Redis server, which at scale is a session store's limit " +
        "(one core runs every command). Measured under Deno in one run on the benchmark's " +
        "redis-server, every subject side by side.",
      "",
      `- Method: per operation and repeat, a flushed database and a new Lua interpreter; ` +
        "every subject's data stored through the subject itself, all at the same time (each " +
        "its own users and ids, side by side in the database; its own keys and value format; " +
        "the raw client's listing reads this adapter's layout, written by the floor scripts); " +
        `a warm-up; then a fixed number of requests per subject in ${r.costSlices} ` +
        "rounds: each round runs a slice of every subject, in an order rotated per round, " +
        "so that bursts of other work on the machine land on all subjects alike. Each slice " +
        "runs between `CONFIG RESETSTAT` and `INFO commandstats`. **commandstats µs** sums " +
        "the µs Redis timed for the commands the subject sent at top level (counted by a " +
        "wrapper around the client): an `EVALSHA`'s figure already holds the commands its " +
        "script ran, which commandstats also lists on their own lines and which are not added " +
        "again (in the mix, where a `GET` is sent at top level and also run by a script, the " +
        "µs of `GET` are shared out by calls). **CPU µs** is the redis-server main thread's " +
        "CPU time over the slices (`/proc/<pid>/task/<pid>/schedstat`), divided by the " +
        "requests: it adds what commandstats leaves out, reading, parsing and replying (paid " +
        "per command, so a subject sending plain commands pays it per command, a script " +
        "subject once), the event loop and the system calls. It depends on how requests " +
        `arrive, so it is measured twice: **CPU 1/conn.** with ${regime(r, 0)} (as from many ` +
        "application servers: each request read and answered on its own, the commandstats " +
        `figures are from this run too) and **CPU pipelined** with ${regime(r, 1)} (many ` +
        "requests per read and per reply write). " +
        `Median of ${costRepeats} repeats; a ratio is the median of per-repeat ratios.`,
      "- Data: 40-character random [a-z0-9] session ids, 15-character user ids, 10 sessions " +
        "per user, each new session of a user expiring later than the one before. setSession " +
        "writes each user's 10 sessions in turn (1 write in 10 creates the user's index); " +
        "deleteSession deletes 5 of each user's 10; the floor is the floor script " +
        "(research/server/floor.ts) for the scripted operations and a plain `GET` for getSession.",
      "- The mix: per 1,000 requests 950 getSession, 20 setSession, 20 deleteSession, 8 " +
        "getSessionsByUserId (~10 sessions), 2 deleteSessionsByUserId, shuffled once; every " +
        "reply is checked.",
      "",
      noise(f),
      "",
      goalsTable(f),
      "",
      "Each ratio is this adapter's cost ÷ the reference's, per request, by each measure " +
        "(instructions: callgrind, below). A goal is met when all measured figures are at " +
        "or under its threshold. The floor column is the least a script (or, for the listings, " +
        "the native `SORT_RO`) could cost on the same data, ÷ the same reference: where it is " +
        "itself above the threshold, no script design reaches the goal on Redis 7.0.",
      "",
      costTable(f),
      "",
    );
  }
  if (r.instructionsSkipped) {
    lines.push(
      "## Instructions per request (callgrind)",
      "",
      `Not measured in this run: ${r.instructionsSkipped}.`,
      "",
    );
  } else if (f.instructionOps().length) {
    lines.push(
      "## Instructions per request (callgrind)",
      "",
      "- Method: a second redis-server under `valgrind --tool=callgrind --instr-atstart=no`, " +
        "instrumentation turned on with `callgrind_control -i on`. Per cell: the data stored " +
        "through the subject, a warm-up, a full Lua garbage collection, `callgrind_control -d` " +
        "(which zeroes the counts), the requests one at a time, `callgrind_control -d` again; " +
        "the new dump's `summary:` is every instruction the server ran for the cell, divided " +
        "by the requests. The instructions of serverCron, Redis's timer, are left out (taken " +
        "from the dump's call graph): they depend on how long a cell took under valgrind, not " +
        `on what it did (the idle server runs ${fmtInt(r.idleInstructionsPerSec ?? NaN)} ` +
        "instructions a second, most of them jemalloc statistics). User-space instructions " +
        "only: the kernel's share of each system call is not counted (the CPU µs above have " +
        `it). Same requests in every repeat; ${instrRepeats} repeats, median shown, and the ` +
        "largest spread between repeats of any subject of the row.",
      "",
      instructionsTable(f),
      "",
    );
  }
  return lines;
}
