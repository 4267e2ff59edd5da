/**
 * The server modes' figures, indexed for the report: per-request medians over repeats, and
 * ratios as medians of per-repeat ratios (figures taken side by side in the same repeat).
 *
 * @module
 */
import type { ServerResult } from "../server/types.ts";
import type { SubjectKey } from "../../bench/subjects.ts";
import { median } from "../../bench/report/format.ts";

/**
 * The measures: commandstats µs and main-thread CPU µs in the first regime of the cost mode
 * (many connections, one request in flight on each), CPU µs in the second (one connection,
 * pipelined), and instructions (callgrind).
 */
export type Measure = "usec" | "cpu" | "cpuPipe" | "instr";

/** Every measure, in table order. */
export const MEASURES: Measure[] = ["usec", "cpu", "cpuPipe", "instr"];

/** Short names of the measures. */
export const MEASURE_NAMES: Record<Measure, string> = {
  usec: "commandstats µs",
  cpu: "CPU µs (1 per connection)",
  cpuPipe: "CPU µs (pipelined)",
  instr: "instructions",
};

/** The floor of an operation: the floor script, or for getSession the plain GET. */
export function floorOf(op: string): SubjectKey {
  return op === "getSession" ? "raw" : "floor";
}

/** Indexed server figures. */
export class ServerFigures {
  constructor(readonly r: ServerResult) {}

  /** Per-repeat values of a measure per request. */
  private values(op: string, subject: string, m: Measure): Map<number, number> {
    const out = new Map<number, number>();
    if (m === "instr") {
      for (const x of this.r.instructions) {
        if (x.op === op && x.subject === subject) out.set(x.repeat, (x.total - x.cron) / x.ops);
      }
      return out;
    }
    const regime = this.r.costRegimes[m === "cpuPipe" ? 1 : 0];
    if (!regime) return out;
    for (const x of this.r.cost) {
      if (x.op !== op || x.subject !== subject) continue;
      if (x.connections !== regime.connections || x.concurrency !== regime.concurrency) continue;
      out.set(x.repeat, m === "usec" ? x.usec / x.ops : x.cpuNs / 1000 / x.ops);
    }
    return out;
  }

  /** Median over repeats of a measure per request (NaN when not measured). */
  per(op: string, subject: string, m: Measure): number {
    return median([...this.values(op, subject, m).values()]);
  }

  /** Median over repeats of a ÷ b, each repeat's figures taken side by side. */
  ratio(op: string, a: string, b: string, m: Measure): number {
    const xs = this.values(op, a, m);
    const ys = this.values(op, b, m);
    const ratios: number[] = [];
    for (const [repeat, x] of xs) {
      const y = ys.get(repeat);
      if (y !== undefined) ratios.push(x / y);
    }
    return median(ratios);
  }

  /** Largest ÷ smallest value over repeats, minus one (the spread of repeated counts). */
  spread(op: string, subject: string, m: Measure): number {
    const v = [...this.values(op, subject, m).values()];
    return v.length < 2 ? NaN : Math.max(...v) / Math.min(...v) - 1;
  }

  /** Top-level commands per request, e.g. `EVALSHA` or `SMEMBERS + 10 GET`, from the cost cells. */
  commands(op: string, subject: string): string {
    const x = this.r.cost.find((c) => c.op === op && c.subject === subject);
    if (!x) return "";
    return Object.entries(x.commands).map(([name, c]) => {
      const n = c.sent / x.ops;
      const count = Math.abs(n - Math.round(n)) < 0.005 ? String(Math.round(n)) : n.toFixed(2);
      return `${count === "1" ? "" : count + " "}${name.toUpperCase()}`;
    }).join(" + ");
  }

  /** The operations of the cost mode, in run order. */
  costOps(): string[] {
    return [...new Set(this.r.cost.map((x) => x.op))];
  }

  /** The operations of the instruction counts (not the variants), in run order. */
  instructionOps(): string[] {
    const chains = new Set(this.r.variants.map((v) => v.chain));
    const labels = new Set(this.r.variants.map((v) => v.label));
    return [
      ...new Set(
        this.r.instructions.filter((x) => !(chains.has(x.op) && labels.has(x.subject)))
          .map((x) => x.op),
      ),
    ];
  }

  /** The subjects measured for an operation in the cost mode. */
  costSubjects(op: string): SubjectKey[] {
    return [...new Set(this.r.cost.filter((x) => x.op === op).map((x) => x.subject))];
  }

  /** Repeats of the cost mode and of the instruction counts. */
  repeats(): { cost: number; instr: number } {
    return {
      cost: new Set(this.r.cost.map((x) => x.repeat)).size,
      instr: new Set(this.r.instructions.map((x) => x.repeat)).size,
    };
  }
}
