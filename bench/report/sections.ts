/**
 * The tables of bench/RESULTS.md: commands and round trips per operation, Redis memory,
 * throughput per runtime, versions, and where the research figures are.
 *
 * @module
 */
import type { CountRecord } from "../load/types.ts";
import { SUBJECT_KEYS, SUBJECT_NAMES, type SubjectKey } from "../subjects.ts";
import { Figures, throughputTable } from "./figures.ts";
import { fmtInt, fmtNum, fmtRatio, signed, table } from "./format.ts";
import type { RunData } from "./run_data.ts";

/** A shape with repeats counted: `SMEMBERS → GET+GET+GET` becomes `SMEMBERS → 3 GET`. */
function shortShape(shape: string): string {
  return shape.split(" → ").map((trip) => {
    const n = new Map<string, number>();
    for (const name of trip.split("+")) n.set(name, (n.get(name) ?? 0) + 1);
    return [...n].map(([name, c]) => (c === 1 ? name : `${c} ${name}`)).join("+");
  }).join(" → ");
}

/** Commands and round trips per operation, one row per record. */
export function countsTable(counts: CountRecord[]): string {
  const rows = counts.map((c) => [
    c.op,
    `${SUBJECT_NAMES[c.subject]}${c.client === "bun" ? " (Bun RedisClient)" : ""}`,
    fmtNum(c.commands),
    fmtNum(c.roundTrips),
    shortShape(c.shape),
  ]);
  const header = ["operation", "subject", "commands/op", "round trips/op", "commands of one op"];
  return table(header, rows, ["---", "---", "--:", "--:", "---"]);
}

/** The "Commands and round trips per operation" section: by operation, then subject. */
export function countsSection(data: RunData): string[] {
  const all = data.results.flatMap((r) => r.counts).filter((c) =>
    c.client === "node-redis" || c.subject === "ours"
  );
  const ops = [...new Set(all.map((c) => c.op))];
  const rank = (c: CountRecord) =>
    ops.indexOf(c.op) * 100 + SUBJECT_KEYS.indexOf(c.subject) + (c.client === "bun" ? 50 : 0);
  const counts = all.sort((a, b) => rank(a) - rank(b));
  if (!counts.length) return [];
  return [
    "## Commands and round trips per operation",
    "",
    "The by-user operations at 1, 10 and 100 sessions per user; updateSession (Lucia v2's " +
    "sixth operation: an attribute, and a renewal of both expiries) for the Lucia v2 entry " +
    "and 2.1.2. node-redis unless named. In the last column, → begins the next round trip.",
    "",
    countsTable(counts),
    "",
  ];
}

/** Memory per live session and retained after expiry: a row per subject in `subjects`. */
export function memoryTable(
  data: RunData,
  subjects: readonly SubjectKey[],
  name: (s: SubjectKey) => string = (s) => SUBJECT_NAMES[s],
): string {
  const memory = data.results.flatMap((r) => r.memory).filter((m) => subjects.includes(m.subject));
  const retained = data.results.flatMap((r) => r.retained);
  const ks = [...new Set(memory.map((m) => m.k))];
  const rows = subjects.filter((s) => memory.some((m) => m.subject === s)).map((s) => {
    const row = [name(s)];
    for (const k of ks) {
      const m = memory.find((x) => x.subject === s && x.k === k);
      row.push(
        m ? fmtInt(m.bytesPerSession) : "—",
        m ? fmtInt(m.fromEmpty) : "—",
        m ? fmtNum(m.keysPerSession, 2) : "—",
      );
    }
    const r = retained.find((x) => x.subject === s);
    row.push(
      r ? fmtInt(r.retainedBytes) : "—",
      r ? signed(r.sinceStart) : "—",
      r ? fmtInt(r.keysLeft) : "—",
    );
    return row;
  });
  const header = ["subject"];
  for (const k of ks) {
    header.push(
      `B/session, ${k}/user`,
      `B/session from empty, ${k}/user`,
      `keys/session, ${k}/user`,
    );
  }
  const rk = retained.find((x) => subjects.includes(x.subject));
  header.push(
    `retained B after ${rk ? fmtInt(rk.sessions) : ""} expired (${rk ? rk.k : ""}/user)`,
    "used_memory vs before",
    "keys left",
  );
  return table(header, rows);
}

/** The "Redis memory" section, if memory was measured. */
export function memorySection(data: RunData): string[] {
  const memory = data.results.flatMap((r) => r.memory);
  if (!memory.length) return [];
  const n = memory[0].sessions;
  return [
    "## Redis memory",
    "",
    memoryTable(data, SUBJECT_KEYS),
    "",
    `B/session is the slope of \`used_memory\` from ${fmtInt(n / 10)} to ${fmtInt(n)} live ` +
    'sessions (what each further session costs); "from empty" divides the whole delta ' +
    "from a flushed database by the sessions, so it also carries buffers Redis grows once. " +
    "Retained B is what the keyspace still holds once every session has expired: " +
    "`used_memory` then, minus `used_memory` right after a FLUSHALL that follows (buffers " +
    "outside the keyspace are in both reads and cancel out). 64 B is the main and expires " +
    "hash tables at their minimum size, as the raw floor (which stores nothing but the " +
    'sessions) shows. "used_memory vs before" compares with before the sessions were ' +
    "created, buffers the run grew (or shrank) included: a few KB either way are those. " +
    "2.1.2's index is a set with no expiry: once every session has expired each user's set " +
    "is left behind (its keys left are the users); this adapter's indexes expire with their " +
    "user's longest-lived session.",
    "",
  ];
}

/** A throughput section per loopback run (with Bun's client beside node-redis). */
export function throughputSections(data: RunData): string[] {
  const lines: string[] = [];
  const push = (...s: string[]) => lines.push(...s);
  for (const r of data.results.filter((x) => x.run === "loopback" && x.measurements.length)) {
    const f = new Figures(r.measurements);
    push(
      `## Throughput and latency: ${r.runtime} ${r.runtimeVersion}, node-redis, loopback`,
      "",
      throughputTable(f, "node-redis", data.config.concurrencies),
      "",
    );
    if (r.measurements.some((m) => m.client === "bun")) {
      const rows: string[][] = [];
      for (const op of f.ops()) {
        for (const s of f.subjects("bun", op)) {
          const row = [op, SUBJECT_NAMES[s]];
          for (const c of data.config.concurrencies) {
            row.push(
              fmtInt(f.med("node-redis", s, op, c, "opsPerSec")),
              fmtInt(f.med("bun", s, op, c, "opsPerSec")),
              fmtRatio(f.ratio(["bun", s], ["node-redis", s], op, c)),
            );
          }
          rows.push(row);
        }
      }
      const header = ["operation", "subject"];
      for (const c of data.config.concurrencies) {
        header.push(
          `node-redis ops/s c=${c}`,
          `RedisClient ops/s c=${c}`,
          `RedisClient ÷ node-redis c=${c}`,
        );
      }
      push(
        `### On Bun: Bun's RedisClient against node-redis (same run)`,
        "",
        table(header, rows, header.map((_, i) => (i < 2 ? "---" : "--:"))),
        "",
      );
    }
  }

  return lines;
}

/** The "Versions" section. */
export function versionsSection(data: RunData): string[] {
  return [
    "## Versions",
    "",
    table(
      ["component", "version"],
      Object.entries(data.versions).map(([k, val]) => [k, val]),
      ["---", "---"],
    ),
    "",
  ];
}

/** How to rerun, and where the research harness's figures are. */
export function rerunSection(): string[] {
  return [
    "## Rerun, and the research figures",
    "",
    "`npm run bench` (needs redis-server on PATH) reruns this page; `npm run bench:smoke` " +
    "checks that it runs; `deno run -A bench/report.ts --from bench/RESULTS.json` redraws it " +
    "from the run's JSON. Options and the method: [bench/README.md](README.md).",
    "",
    "What each operation costs the Redis server (commandstats, CPU, callgrind instructions, " +
    "previous designs, saturation, worst case), Redis Cluster and `migrate` figures, " +
    "throughput with ~1 ms added per round trip, and the design goals judged on them: " +
    "[research/RESULTS.md](../research/RESULTS.md), from `deno run -A research/run.ts`, or " +
    "redrawn from this run's JSON by `deno run -A research/report.ts --from bench/RESULTS.json`.",
    "",
  ];
}
