/**
 * The sections of research/RESULTS.md after the server cost: what each change of the redesign
 * bought (instruction counts of script variants), saturation with several client processes,
 * and the worst case of one call against sessions per user.
 *
 * @module
 */
import type { ServerResult, WorstRecord } from "../server/types.ts";
import { SUBJECT_NAMES } from "../../bench/subjects.ts";
import { fmtInt, fmtRatio, median, table } from "../../bench/report/format.ts";
import { ServerFigures } from "./server_data.ts";

function pct(x: number): string {
  if (!Number.isFinite(x)) return "—";
  return `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(1)} %`;
}

/** "What each change bought": one table per chain. */
function variantsSection(r: ServerResult): string[] {
  const f = new ServerFigures(r);
  const chains = [...new Set(r.variants.map((v) => v.chain))];
  const lines: string[] = [];
  for (const chain of chains) {
    const rows: string[][] = [];
    let before = NaN;
    let current = NaN;
    for (const v of r.variants.filter((x) => x.chain === chain)) {
      const n = f.per(chain, v.label, "instr");
      if (!Number.isFinite(n)) continue;
      let change: string;
      if (v.reference) {
        change = `${pct(n / current - 1)} vs the current design (reference)`;
      } else {
        change = Number.isFinite(before) ? `${signedInt(n - before)} (${pct(n / before - 1)})` : "";
        before = n;
        current = n;
      }
      rows.push([v.reference ? `*${v.label}*` : v.label, v.change, fmtInt(n), change]);
    }
    if (rows.length === 0) continue;
    lines.push(
      `### ${chain}`,
      "",
      table(
        ["variant", "what it does", "instructions/request", "change vs the row before"],
        rows,
        ["---", "---", "--:", "--:"],
      ),
      "",
    );
  }
  if (lines.length === 0) return [];
  return [
    "## What each change bought",
    "",
    "The redesign's changes one at a time, from the previous design's scripts (git b67ca21, " +
    "src/scripts.ts) to the current ones (src/lua/single.ts), each variant counted like the cells " +
    "above (callgrind, requests one at a time, on this adapter's layout with the same data: " +
    "10 sessions per user, increasing expiries). The intermediate variants exist only in " +
    "research/server/variants.ts. Rows in italics are for comparison, outside the chain.",
    "",
    ...lines,
  ];
}

function signedInt(n: number): string {
  return Number.isFinite(n) ? `${n >= 0 ? "+" : "−"}${fmtInt(Math.abs(n))}` : "—";
}

/** The saturation section. */
function saturationSection(r: ServerResult): string[] {
  if (!r.saturation.length) return [];
  const rows: string[][] = [];
  const med = (s: string, field: "requestsPerSec" | "serverBusy" | "clientsBusy") =>
    median(r.saturation.filter((x) => x.subject === s).map((x) => x[field]));
  for (const s of ["ours", "v2"] as const) {
    rows.push([
      SUBJECT_NAMES[s],
      fmtInt(med(s, "requestsPerSec")),
      `${(med(s, "serverBusy") * 100).toFixed(0)} %`,
      med(s, "clientsBusy").toFixed(2),
    ]);
  }
  const ratios: number[] = [];
  for (const x of r.saturation.filter((x) => x.subject === "ours")) {
    const y = r.saturation.find((z) => z.subject === "v2" && z.repeat === x.repeat);
    if (y) ratios.push(x.requestsPerSec / y.requestsPerSec);
  }
  const busiest = Math.max(...r.saturation.map((x) => x.serverBusy));
  const first = r.saturation[0];
  const repeats = new Set(r.saturation.map((x) => x.repeat)).size;
  const verdict = busiest >= 0.9
    ? `The server thread was busy up to ${(busiest * 100).toFixed(0)} % of the time: Redis ` +
      "was (close to) the limit, and the requests/s ratio is the capacity ratio."
    : `**The server thread was busy at most ${(busiest * 100).toFixed(0)} % of the time: the ` +
      `clients were the limit** (${first.processes} client processes on ${r.cores} cores, ` +
      "sharing them with redis-server), so these requests/s measure the clients, not Redis. " +
      "Rely on the server-cost table above for what Redis can serve: its mix capacity ratio " +
      "is the figure for a Redis-bound deployment.";
  return [
    "## Saturation: several client processes, one redis-server",
    "",
    `- Method: ${first.processes} client processes (one per core by default), each with ` +
    `${first.concurrency} requests in flight over ${first.connections} connections, run the ` +
    "mix on their own " +
    `users for ${first.seconds.toFixed(0)} s, this adapter and 2.1.2 in turn, ${repeats} ` +
    "repeats (medians). Server busy: the main thread's CPU time (schedstat) ÷ wall time; " +
    "clients: their CPU time ÷ wall time, in cores.",
    "",
    table(["subject", "requests/s (mix)", "server thread busy", "client CPU (cores)"], rows),
    "",
    `This adapter ÷ 2.1.2, requests/s: ${fmtRatio(median(ratios))}. ${verdict}`,
    "",
  ];
}

/** The worst-case section. */
function worstSection(r: ServerResult): string[] {
  if (!r.worst.length) return [];
  const ns = [...new Set(r.worst.map((x) => x.n))].sort((a, b) => a - b);
  const rows: string[][] = [];
  const groups = new Map<string, WorstRecord[]>();
  for (const x of r.worst) {
    const key = `${x.op}\u0000${x.subject}`;
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  for (const [key, xs] of groups) {
    const [op, subject] = key.split("\u0000");
    const row = [op, SUBJECT_NAMES[subject as "ours" | "v2"]];
    for (const n of ns) {
      const here = xs.filter((x) => x.n === n);
      if (!here.length) {
        row.push("—");
        continue;
      }
      const usec = median(here.map((x) => x.usec));
      const longest = median(here.map((x) => x.longest));
      const commands = median(here.map((x) => x.commands));
      row.push(
        commands > 1
          ? `${fmtInt(usec)} (${fmtInt(commands)} commands, longest ${fmtInt(longest)})`
          : fmtInt(usec),
      );
    }
    rows.push(row);
  }
  const repeats = new Set(r.worst.map((x) => x.repeat)).size;
  return [
    "## Worst case per call against sessions per user",
    "",
    "A script or a single command runs alone: while it runs, Redis serves nobody else. So the " +
    "Redis time of one call on a user with many sessions is a pause for every client.",
    "",
    "- Method: one user with N sessions, stored fast with pipelined commands in exactly the " +
    "subject's layout (this adapter: its JSON, `PXAT`, the sorted-set index and its expiry; " +
    "2.1.2: its JSON, `EXAT`, its set index) and checked by listing them through the subject; " +
    "the same call on a twin user just before (so that a small call is not timed with cold " +
    "CPU caches); `CONFIG RESETSTAT`; one call; `INFO commandstats`: the µs of the commands " +
    `the call sent at top level. Median of ${repeats} calls, each on fresh data where the ` +
    "call changes it. setSession adds a session expiring after all the others; the pruning " +
    "write is one whose id makes this adapter prune the index (about 1 write in 18); with " +
    `\`maxSessionsPerUser: ${r.worstCap}\` the new session takes the user one over the cap at ` +
    `N = ${r.worstCap}, under it below, and above it the cap signs out N + 1 − ` +
    `${r.worstCap} sessions in that one call (as when a cap is set on existing data). These ` +
    "are µs of wall time as Redis times each command, so other work on the machine makes " +
    "them longer (see the load average at the top); what matters is how they grow with N.",
    "",
    table(
      ["operation (µs of Redis per call)", "subject", ...ns.map((n) => `N = ${fmtInt(n)}`)],
      rows,
      [
        "---",
        "---",
        ...ns.map(() => "--:"),
      ],
    ),
    "",
    "2.1.2 sends several commands per call (shown with the longest single one, which is how " +
    "long it holds Redis at once; for several calls of one command, their mean); this " +
    "adapter sends one, so all of its time is one stretch.",
    "",
  ];
}

/** The sections after the server cost. */
export function serverMoreSections(r: ServerResult): string[] {
  return [...variantsSection(r), ...saturationSection(r), ...worstSection(r)];
}
