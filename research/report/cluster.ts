/**
 * The section of research/RESULTS.md on a Redis Cluster: this adapter's cluster path against
 * adapter 2.1.2, per operation (research/cluster.ts).
 *
 * @module
 */
import type { ClusterCostRecord, ClusterResult, ClusterSubjectKey } from "../cluster/types.ts";
import { SUBJECT_NAMES } from "../../bench/subjects.ts";
import { fmtInt, fmtNum, fmtRatio, median, table } from "../../bench/report/format.ts";

type Field = "usec" | "cpu" | "opsPerSec";

/** The cost records, indexed: per-request medians and per-repeat ratios. */
class ClusterFigures {
  constructor(readonly r: ClusterResult) {}
  private values(op: string, s: ClusterSubjectKey, c: number, field: Field) {
    const out = new Map<number, number>();
    for (const x of this.r.cost) {
      if (x.op !== op || x.subject !== s || x.concurrency !== c) continue;
      out.set(x.repeat, value(x, field));
    }
    return out;
  }
  per(op: string, s: ClusterSubjectKey, c: number, field: Field): number {
    return median([...this.values(op, s, c, field).values()]);
  }
  ratio(op: string, a: ClusterSubjectKey, b: ClusterSubjectKey, c: number, field: Field) {
    const ys = this.values(op, b, c, field);
    const ratios: number[] = [];
    for (const [repeat, x] of this.values(op, a, c, field)) {
      const y = ys.get(repeat);
      if (y !== undefined) ratios.push(x / y);
    }
    return median(ratios);
  }
}

function value(x: ClusterCostRecord, field: Field): number {
  if (field === "usec") return x.usec / x.ops;
  if (field === "cpu") return x.cpuNs / 1000 / x.ops;
  return x.ops / x.seconds;
}

function name(s: ClusterSubjectKey): string {
  return s === "v2" ? SUBJECT_NAMES[s] : `**${SUBJECT_NAMES[s]}**`;
}

const ORDER: ClusterSubjectKey[] = ["ours", "oursV2", "v2"];

function countsTable(r: ClusterResult): string {
  const ops = [...new Set(r.counts.map((x) => x.op))];
  const rows = ops.flatMap((op) =>
    ORDER.flatMap((s) => r.counts.filter((x) => x.op === op && x.subject === s)).map((x) => [
      op,
      name(x.subject),
      fmtNum(x.commands),
      fmtNum(x.roundTrips),
      fmtNum(x.monitorCommands),
      x.perPrimary.map((n) => fmtNum(n, 2)).join(" / "),
      fmtNum(x.scriptCommands),
      x.shape,
    ])
  );
  return table(
    [
      "operation",
      "subject",
      "commands/op",
      "round trips/op",
      "MONITOR: client commands/op, all primaries",
      "of which per primary",
      "MONITOR: commands run by scripts/op",
      "commands of one op (→ = next round trip)",
    ],
    rows,
    ["---", "---", "--:", "--:", "--:", "--:", "--:", "---"],
  );
}

function costTable(r: ClusterResult): string {
  const f = new ClusterFigures(r);
  const cs = r.concurrencies;
  const top = cs[cs.length - 1];
  const ops = [...new Set(r.cost.map((x) => x.op))];
  const rows: string[][] = [];
  for (const op of ops) {
    const here = ORDER.filter((s) => r.cost.some((x) => x.op === op && x.subject === s));
    for (const s of here) {
      const vs = (c: number, field: Field) =>
        s === "v2" || !here.includes("v2") ? "" : fmtRatio(f.ratio(op, s, "v2", c, field));
      rows.push([
        op,
        name(s),
        ...cs.map((c) => fmtNum(f.per(op, s, c, "usec"), 2)),
        fmtNum(f.per(op, s, top, "cpu"), 2),
        ...cs.map((c) => fmtInt(f.per(op, s, c, "opsPerSec"))),
        ...cs.map((c) => vs(c, "usec")),
        vs(top, "cpu"),
        ...cs.map((c) => vs(c, "opsPerSec")),
      ]);
    }
  }
  const header = [
    "operation",
    "subject",
    ...cs.map((c) => `Redis µs/op c=${c}`),
    `primaries' CPU µs/op c=${top}`,
    ...cs.map((c) => `ops/s c=${c}`),
    ...cs.map((c) => `÷ 2.1.2 Redis µs c=${c}`),
    `÷ 2.1.2 CPU c=${top}`,
    ...cs.map((c) => `÷ 2.1.2 ops/s c=${c}`),
  ];
  return table(header, rows, header.map((_, i) => (i < 2 ? "---" : "--:")));
}

/** The section "Redis Cluster: this adapter against 2.1.2". */
export function clusterSection(r: ClusterResult | undefined): string[] {
  if (!r || (r.counts.length === 0 && r.cost.length === 0)) return [];
  const repeats = new Set(r.cost.map((x) => x.repeat)).size;
  const sizes = [...new Set(r.cost.map((x) => `${x.op} ${fmtInt(x.ops)}`))].join(", ");
  const lines = [
    "## Redis Cluster: this adapter against 2.1.2",
    "",
    `A private Redis Cluster started by the run (scripts/redis/cluster.ts): Redis ${r.redis}, ` +
    `${r.primaries} primaries and ${r.replicas} replicas on loopback, on the same machine as ` +
    `the client (ready in ${r.startSeconds.toFixed(1)} s, stopped after). **This adapter** ` +
    `(both entries) over ${r.clients.ours}, which takes its cluster path: every command ` +
    "touches one key and is routed by it, operations made of one-key steps (src/store/" +
    `cluster.ts); **adapter 2.1.2** over ${r.clients.v2}, the client it was written ` +
    "for: its commands (`GET`, `SET`, `SADD`, `SMEMBERS`, `DEL`, `SREM`) each touch one key, " +
    "so the cluster client routes them as they are. Each subject's data is stored through " +
    "the subject itself, each its own users and ids (40-character random ids, 10 sessions " +
    "per user). Before anything is measured, every operation of every subject runs on 30 " +
    "users, so that every primary has every script loaded. The by-user operations at 10 " +
    "sessions per user.",
    "",
    "- Commands and round trips: one operation at a time, counted by a Proxy around the " +
    "cluster client (bench/counting.ts: a round trip begins whenever a command is sent while " +
    "none of the operation's earlier ones awaits a reply; commands to several primaries sent " +
    "together share it), cross-checked against `MONITOR` on every primary (the run fails if " +
    "they differ).",
    `- Cost: per operation, concurrency (${r.concurrencies.join(" and ")} requests in ` +
    `flight on the cluster client) and repeat, a flushed cluster, every subject's data stored ` +
    `at once, a warm-up, then a fixed number of requests per subject (${sizes}) in ` +
    `${r.slices} rounds, each running a slice of every subject in an order rotated per ` +
    "round. Each slice runs between `CONFIG RESETSTAT` on every primary and their `INFO " +
    "commandstats`: **Redis µs/op** adds up, over the primaries, the µs Redis timed for the " +
    "commands the subject sent at top level (an `EVALSHA`'s figure holds the commands its " +
    "script ran). **Primaries' CPU** is their main threads' CPU time " +
    "(`/proc/<pid>/task/<pid>/schedstat`, reading, parsing, replying and feeding the " +
    "replicas included; the replicas' own work is not counted). **ops/s** is the requests " +
    "÷ their wall time, with client and cluster sharing the machine's cores. " +
    `Median of ${repeats} repeats; a ratio is the median of per-repeat ratios (÷ 2.1.2: ` +
    "under 1.00× costs Redis less; over 1.00× in ops/s is faster).",
    "",
  ];
  if (r.counts.length) lines.push("### Commands and round trips", "", countsTable(r), "");
  if (r.cost.length) lines.push("### Redis cost and throughput", "", costTable(r), "");
  return lines;
}
