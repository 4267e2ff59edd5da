/**
 * The goals section of research/RESULTS.md: each goal, this adapter's figures and whether they
 * meet it, after the noise the A/A control measured.
 *
 * @module
 */
import type { SubjectKey } from "../../bench/subjects.ts";
import { Figures } from "../../bench/report/figures.ts";
import { fmtInt, fmtRatio, table } from "../../bench/report/format.ts";
import type { RunData } from "../../bench/report/run_data.ts";

interface Goal {
  goal: string;
  /** This adapter's figures, and whether they meet the goal (null: not measured). */
  figures: string;
  met: boolean | null;
}

interface Verdict {
  figures: string;
  met: boolean | null;
}

function ratioVerdict(
  runs: { label: string; f: Figures }[],
  subject: SubjectKey,
  op: string,
  against: SubjectKey,
  threshold: number,
  cs: number[],
  judgedAt: number[] = cs,
): Verdict {
  const parts: string[] = [];
  let met: boolean | null = null;
  for (const { label, f } of runs) {
    for (const c of cs) {
      const r = f.ratio(["node-redis", subject], ["node-redis", against], op, c);
      if (!Number.isFinite(r)) continue;
      const judged = judgedAt.includes(c);
      parts.push(`${label} c=${c}: ${judged ? "" : "("}${fmtRatio(r)}${judged ? "" : ")"}`);
      if (judged) met = (met ?? true) && r >= threshold;
    }
  }
  return { figures: parts.join(", ") || "not measured", met };
}

function goals(data: RunData): Goal[] {
  const out: Goal[] = [];
  const add = (goal: string, verdict: (s: SubjectKey) => Verdict) => {
    const ours = verdict("ours");
    out.push({ goal, figures: ours.figures, met: ours.met });
  };
  const loop = data.results.filter((r) => r.run === "loopback" && r.measurements.length > 0);
  const loopRuns = loop.map((r) => ({ label: r.runtime, f: new Figures(r.measurements) }));
  const lat = data.results.find((r) => r.run === "latency");
  const cs = data.config.concurrencies;

  add("Exactly 1 command per operation, at 1, 10 and 100 sessions per user", (s) => {
    const counts = data.results.flatMap((r) => r.counts).filter((c) => c.subject === s);
    const over = counts.filter((c) => c.commands !== 1 || c.roundTrips !== 1);
    return {
      figures: counts.length === 0
        ? "not measured"
        : over.length === 0
        ? `all ${counts.length} cases (operation × sessions per user × client): 1 command, ` +
          "1 round trip"
        : over.map((c) => `${c.op} (${c.client}): ${c.commands}`).join(", "),
      met: counts.length > 0 ? over.length === 0 : null,
    };
  });
  const vs = (op: string, t: number) =>
    add(
      `${op} ≥ ${t.toFixed(1)}× 2.1.2 (loopback)`,
      (s) => ratioVerdict(loopRuns, s, op, "v2", t, cs),
    );
  vs("setSession", 1.0);
  vs("getSession", 1.0);
  vs("getSessionsByUserId(10)", 1.3);
  vs("deleteSession", 1.0);
  if (lat) {
    const runs = [{ label: `${lat.runtime} +RTT`, f: new Figures(lat.measurements) }];
    for (const op of new Figures(lat.measurements).ops()) {
      if (!op.startsWith("getSessionsByUserId") && op !== "deleteSession") continue;
      add(
        `${op} ≥ 1.8× 2.1.2 under ~1 ms added RTT (judged at c=1)`,
        (s) => ratioVerdict(runs, s, op, "v2", 1.8, cs, [1]),
      );
    }
  }
  add(
    "getSession ≥ 0.9× the raw GET + JSON.parse floor (loopback)",
    (s) => ratioVerdict(loopRuns, s, "getSession", "raw", 0.9, cs),
  );
  add("≤ 400 bytes of Redis memory per live session (40-character ids)", (s) => {
    const memory = data.results.flatMap((r) => r.memory).filter((m) => m.subject === s);
    return {
      figures: memory.map((m) => `${m.k}/user: ${fmtInt(m.bytesPerSession)} B`).join(", ") ||
        "not measured",
      met: memory.length ? memory.every((m) => m.bytesPerSession <= 400) : null,
    };
  });
  add("0 bytes retained once every session has expired", (s) => {
    const all = data.results.flatMap((x) => x.retained);
    const r = all.find((x) => x.subject === s);
    const floor = all.find((x) => x.subject === "raw");
    if (!r) return { figures: "not measured", met: null };
    return {
      figures: `${fmtInt(r.keysLeft)} keys left of ${fmtInt(r.sessions)} sessions; keyspace ` +
        `holds ${fmtInt(r.retainedBytes)} B` +
        (floor ? ` (raw floor: ${fmtInt(floor.retainedBytes)} B, the emptied hash tables)` : ""),
      met: r.keysLeft === 0 && (!floor || r.retainedBytes <= floor.retainedBytes),
    };
  });
  return out;
}

/**
 * An A/A control: "ours2" is a second instance of this adapter, measured beside the first on
 * getSession, so their ratio would be 1.00× on a quiet machine; its spread is the noise of a
 * ratio in this run.
 */
function noiseNote(data: RunData): string {
  const ratios: string[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of data.results.filter((x) => x.run === "loopback" && x.measurements.length)) {
    const f = new Figures(r.measurements);
    for (const c of data.config.concurrencies) {
      const x = f.ratio(["node-redis", "ours2"], ["node-redis", "ours"], "getSession", c);
      if (!Number.isFinite(x)) continue;
      ratios.push(`${r.runtime} c=${c} ${fmtRatio(x)}`);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
  }
  if (ratios.length === 0) return "";
  return "**Noise, measured:** the A/A control is this adapter run again, as a second " +
    "subject beside the first, so its getSession throughput ÷ this adapter's would be 1.00× " +
    "on a quiet machine; what it is shows the noise of a ratio on this machine in this run: " +
    `${ratios.join(", ")} (${fmtRatio(lo)}–${fmtRatio(hi)}). Read every ratio below with ` +
    `that margin; a goal missed or met by less is within noise.`;
}

function verdict(met: boolean | null): string {
  return met === null ? "not measured" : met ? "met" : "**missed**";
}

/** The "Goals" section. */
export function goalsSection(data: RunData): string[] {
  return [
    "## Goals",
    "",
    noiseNote(data),
    "",
    "Loopback goals are judged on every runtime at both concurrencies: a goal is met only if " +
    "every cell meets it. Latency-mode goals are judged at c=1, where each request pays its " +
    "own round trips; at c=256 one connection carries 256 requests per round trip " +
    "(pipelining), so the added RTT barely matters there: those figures are in parentheses.",
    "",
    table(
      ["goal", "this adapter", "met?"],
      goals(data).map((g) => [g.goal, g.figures, verdict(g.met)]),
      ["---", "---", "---"],
    ),
    "",
  ];
}
