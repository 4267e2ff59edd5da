/**
 * The section of bench/RESULTS.md on this adapter's Lucia v2 entry (v2.ts) against adapter
 * 2.1.2, the adapter it replaces: commands and round trips per operation (updateSession
 * included), what each operation costs the Redis server, and memory.
 *
 * @module
 */
import type { ServerResult } from "../../research/server/types.ts";
import { SUBJECT_NAMES, type SubjectKey } from "../subjects.ts";
import { fmtInt, fmtNum, fmtRatio, signed, table } from "./format.ts";
import type { RunData } from "./run_data.ts";
import { countsTable } from "./sections.ts";
import {
  type Measure,
  MEASURE_NAMES,
  MEASURES,
  ServerFigures,
} from "../../research/report/server_data.ts";

const PAIR: SubjectKey[] = ["oursV2", "v2"];

function name(s: SubjectKey): string {
  return s === "oursV2" ? `**${SUBJECT_NAMES[s]}**` : SUBJECT_NAMES[s];
}

/** A shape with repeats counted: `SMEMBERS → GET+GET+GET` becomes `SMEMBERS → 3 GET`. */
function shortShape(shape: string): string {
  return shape.split(" → ").map((trip) => {
    const n = new Map<string, number>();
    for (const name of trip.split("+")) n.set(name, (n.get(name) ?? 0) + 1);
    return [...n].map(([name, c]) => (c === 1 ? name : `${c} ${name}`)).join("+");
  }).join(" → ");
}

/** Commands and round trips of both, every operation. */
function countsPart(data: RunData): string[] {
  const counts = data.results.flatMap((r) => r.counts).filter((c) =>
    c.client === "node-redis" && PAIR.includes(c.subject)
  );
  if (!counts.some((c) => c.subject === "oursV2")) return [];
  const ops = [...new Set(counts.map((c) => c.op))];
  const rows = ops.flatMap((op) =>
    PAIR.flatMap((s) => counts.filter((c) => c.op === op && c.subject === s))
  );
  return [
    "### Commands and round trips per operation",
    "",
    countsTable(rows.map((c) => ({ ...c, shape: shortShape(c.shape) }))),
    "",
  ];
}

/** Server cost of both, every operation measured for the v2 entry. */
function costPart(r: ServerResult): string[] {
  const f = new ServerFigures(r);
  const ops = [...new Set([...r.cost, ...r.instructions].map((x) => x.op))].filter((op) =>
    MEASURES.some((m) => Number.isFinite(f.per(op, "oursV2", m)))
  );
  if (ops.length === 0) return [];
  const rows: string[][] = [];
  for (const op of ops) {
    for (const s of PAIR) {
      if (!MEASURES.some((m) => Number.isFinite(f.per(op, s, m)))) continue;
      rows.push([
        op,
        name(s),
        f.commands(op, s),
        ...MEASURES.map((m) =>
          m === "instr" ? fmtInt(f.per(op, s, m)) : fmtNum(f.per(op, s, m), 2)
        ),
        ...MEASURES.map((m) => s === "v2" ? "" : fmtRatio(f.ratio(op, s, "v2", m))),
      ]);
    }
  }
  const header = [
    "operation",
    "subject",
    "top-level commands/request",
    ...MEASURES.map((m: Measure) => `${MEASURE_NAMES[m]}/request`),
    ...MEASURES.map((m: Measure) => `÷ 2.1.2, ${MEASURE_NAMES[m]}`),
  ];
  return [
    "### Redis server cost per operation",
    "",
    "Measured in the cost mode and the instruction counts above, beside the other subjects " +
    "(same method, same cells; the ÷ 2.1.2 ratios are medians of per-repeat ratios). " +
    (r.instructionsSkipped ? `Instructions: not measured (${r.instructionsSkipped}). ` : "") +
    "A ratio under 1.00× means the v2 entry costs Redis less than 2.1.2.",
    "",
    table(header, rows, ["---", "---", "---", ...Array(8).fill("--:")]),
    "",
  ];
}

/** Memory per live session and retained after expiry, both. */
function memoryPart(data: RunData): string[] {
  const memory = data.results.flatMap((r) => r.memory).filter((m) => PAIR.includes(m.subject));
  const retained = data.results.flatMap((r) => r.retained);
  if (!memory.some((m) => m.subject === "oursV2")) return [];
  const ks = [...new Set(memory.map((m) => m.k))];
  const raw = retained.find((x) => x.subject === "raw");
  const rows = PAIR.map((s) => {
    const row = [name(s)];
    for (const k of ks) {
      const m = memory.find((x) => x.subject === s && x.k === k);
      row.push(m ? fmtInt(m.bytesPerSession) : "—", m ? fmtNum(m.keysPerSession, 2) : "—");
    }
    const x = retained.find((y) => y.subject === s);
    row.push(
      x ? fmtInt(x.retainedBytes) : "—",
      x ? signed(x.sinceStart) : "—",
      x ? fmtInt(x.keysLeft) : "—",
    );
    return row;
  });
  const header = ["subject"];
  for (const k of ks) header.push(`B/session, ${k}/user`, `keys/session, ${k}/user`);
  const n = retained.find((x) => x.subject === "oursV2") ?? retained[0];
  header.push(
    `retained B after ${n ? fmtInt(n.sessions) : ""} expired (${n ? n.k : ""}/user)`,
    "used_memory vs before",
    "keys left",
  );
  return [
    "### Redis memory",
    "",
    table(header, rows),
    "",
    'Measured as in "Redis memory" above (same sessions, same method). 2.1.2\'s index is a ' +
    "set with no expiry: it never expires, so once every session has expired each user's set " +
    "is left behind, holding the ids of sessions that no longer exist (its keys left are the " +
    "users). The v2 entry's index is a sorted set that expires with its user's longest-lived " +
    "session" +
    (raw
      ? ` (the raw floor, which stores nothing but sessions, retains ${
        fmtInt(raw.retainedBytes)
      } B: the emptied hash tables)`
      : "") +
    ".",
    "",
  ];
}

/** The section "This adapter's Lucia v2 entry against adapter 2.1.2". */
export function v2EntrySection(data: RunData): string[] {
  const parts = [
    ...countsPart(data),
    ...(data.server ? costPart(data.server) : []),
    ...memoryPart(data),
  ];
  if (parts.length === 0) return [];
  return [
    "## This adapter's Lucia v2 entry against adapter 2.1.2",
    "",
    "The Lucia v2 entry (`@lucia-auth/adapter-session-redis/v2`, v2.ts: `redis(client, " +
    "{ session, userSessions })`, 2.1.2's arguments and default keys) on the same storage " +
    "core as the Lucia v1 entry measured above, against 2.1.2, the adapter it replaces, over " +
    "the same node-redis client. Both have Lucia v2's six operations; updateSession is " +
    "measured two ways on sessions stored through each subject first: an attribute " +
    '(`{ country: "DE" }`) and a renewal (`{ active_expires, idle_expires }`, one day later), ' +
    "each session updated once. The v2 entry reads the session (`GET`), merges in JavaScript, " +
    "then writes with one compare-and-set script (`EVALSHA`: the write happens only if the " +
    "session is still what was read, and scores the session's index entry with its idle " +
    "expiry, so that the index expires no earlier than the session; otherwise it merges into " +
    "what it found and tries again); 2.1.2 reads (`GET`) then overwrites (`SET … EXAT`), not " +
    "atomically (a concurrent update is lost, a session deleted meanwhile comes back) and " +
    "without touching its index. The v1 figures above are unchanged by these rows.",
    "",
    ...parts,
  ];
}
