/**
 * The tables of bench/RESULTS.md after its goals: commands per operation, Redis memory,
 * throughput per runtime and with added latency, and versions.
 *
 * @module
 */
import type { CountRecord } from "../load/types.ts";
import { SUBJECT_KEYS, SUBJECT_NAMES } from "../subjects.ts";
import { Figures, throughputTable } from "./figures.ts";
import { fmtInt, fmtMs, fmtNum, fmtRatio, signed, table } from "./format.ts";
import type { RunData } from "./run_data.ts";

/** Commands and round trips per operation, one row per record. */
export function countsTable(counts: CountRecord[]): string {
  const rows = counts.map((c) => [
    c.op,
    `${SUBJECT_NAMES[c.subject]}${c.client === "bun" ? " (Bun RedisClient)" : ""}`,
    fmtNum(c.commands),
    fmtNum(c.roundTrips),
    fmtNum(c.monitorCommands),
    fmtNum(c.scriptCommands),
    c.shape.length > 60 ? c.shape.slice(0, 57).replace(/\+[A-Z]*$/, "") + "+…" : c.shape,
  ]);
  return table(
    [
      "operation",
      "subject",
      "commands/op",
      "round trips/op",
      "MONITOR: client commands/op",
      "MONITOR: commands run by scripts/op",
      "commands of one op (→ = next round trip)",
    ],
    rows,
    ["---", "---", "--:", "--:", "--:", "--:", "---"],
  );
}

/** The "Commands and round trips per operation" section. */
export function countsSection(data: RunData): string[] {
  const nodeRedis = data.results.find((r) => r.counts.some((c) => c.client === "node-redis"))
    ?.counts ?? [];
  // The Lucia v2 entry and updateSession have their own section (v2_entry.ts).
  const counts = [
    ...nodeRedis.filter((c) =>
      c.client === "node-redis" && c.subject !== "oursV2" && !c.op.startsWith("updateSession")
    ),
    ...data.results.flatMap((r) => r.counts).filter((c) =>
      c.client === "bun" && c.subject === "ours"
    ),
  ];
  return [
    "## Commands and round trips per operation",
    "",
    "The by-user operations at 1, 10 and 100 sessions per user. node-redis unless named.",
    "",
    countsTable(counts),
    "",
  ];
}

/** The "Redis memory" section, if memory was measured. */
export function memorySection(data: RunData): string[] {
  // The Lucia v2 entry has its own section (v2_entry.ts).
  const memory = data.results.flatMap((r) => r.memory).filter((m) => m.subject !== "oursV2");
  const retained = data.results.flatMap((r) => r.retained).filter((m) => m.subject !== "oursV2");
  if (!memory.length) return [];
  const ks = [...new Set(memory.map((m) => m.k))];
  const rows = SUBJECT_KEYS.filter((s) => memory.some((m) => m.subject === s)).map((s) => {
    const row = [SUBJECT_NAMES[s]];
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
  const n = memory[0].sessions;
  const header = ["subject"];
  for (const k of ks) {
    header.push(
      `B/session, ${k}/user`,
      `B/session from empty, ${k}/user`,
      `keys/session, ${k}/user`,
    );
  }
  const rk = retained[0];
  header.push(
    `retained B after ${rk ? fmtInt(rk.sessions) : ""} expired (${rk ? rk.k : ""}/user)`,
    "used_memory vs before",
    "keys left",
  );
  return [
    "## Redis memory",
    "",
    table(header, rows),
    "",
    `B/session is the slope of \`used_memory\` from ${fmtInt(n / 10)} to ${fmtInt(n)} live ` +
    'sessions (what each further session costs); "from empty" divides the whole delta ' +
    "from a flushed database by the sessions, so it also carries buffers Redis grows once. " +
    "Retained B is what the keyspace still holds once every session has expired: " +
    "`used_memory` then, minus `used_memory` right after a FLUSHALL that follows (buffers " +
    "outside the keyspace are in both reads and cancel out). 64 B is the main and expires " +
    "hash tables at their minimum size, as the raw floor (which stores nothing but the " +
    'sessions) shows. "used_memory vs before" compares with before the sessions were ' +
    "created, buffers the run grew (or shrank) included: a few KB either way are those.",
    "",
  ];
}

/** A throughput section per loopback run (with Bun's client beside node-redis), then latency. */
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
        "RedisClient figures in full (ratios against the floor on the same client):",
        "",
        throughputTable(f, "bun", data.config.concurrencies),
        "",
      );
    }
  }

  const lat = data.results.find((r) => r.run === "latency");
  if (lat && data.latency) {
    push(
      `## Throughput and latency: ${lat.runtime} ${lat.runtimeVersion}, node-redis, +${
        fmtMs(data.latency.proxied.p50 - data.latency.direct.p50)
      } ms per round trip`,
      "",
      throughputTable(new Figures(lat.measurements), "node-redis", data.config.concurrencies),
      "",
    );
  }
  return lines;
}

/** The "Versions" section and how to rerun. */
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
    "Rerun with `deno task bench` (needs redis-server on PATH; `cc` for the precise latency " +
    "proxy, else a Bun fallback; valgrind for the instruction counts, which are skipped " +
    "without it). Options: `--repeats=N`, `--duration=MS`, `--runtimes=deno,bun,node`, " +
    "`--no-latency`, `--server=cost,worst,saturation,instructions,variants` (the server " +
    "modes; `--server=` for none), `--processes=N` (saturation clients), " +
    "`--server-repeats=N`, `--server-subjects=…`, `--server-ops=…` (only those subjects and " +
    "cells), `--cluster=counts,cost` or `--no-cluster`, `--cluster-repeats=N`, `--out=NAME` " +
    "(a partial run's files in bench/.runs/ instead of this one); `--render` rebuilds this file " +
    "from the last run's JSON.",
    "",
  ];
}
