/**
 * The throughput measurements of one load run, indexed, and the table that shows them.
 *
 * @module
 */
import type { Measurement } from "../load/types.ts";
import { SUBJECT_KEYS, SUBJECT_NAMES, type SubjectKey } from "../subjects.ts";
import { fmtInt, fmtMs, fmtNum, fmtRatio, median, table } from "./format.ts";

/** The measurements of one run, indexed. */
export class Figures {
  constructor(readonly list: Measurement[]) {}
  of(client: string, subject: SubjectKey, op: string, c: number): Measurement[] {
    return this.list.filter((m) =>
      m.client === client && m.subject === subject && m.op === op && m.concurrency === c
    );
  }
  /** Median over repeats of a field. */
  med(client: string, subject: SubjectKey, op: string, c: number, field: keyof Measurement) {
    return median(this.of(client, subject, op, c).map((m) => m[field] as number));
  }
  /** Median over repeats of the per-repeat throughput ratio a/b (same repeat, same run). */
  ratio(
    a: [string, SubjectKey],
    b: [string, SubjectKey],
    op: string,
    c: number,
  ): number {
    const xs = this.of(a[0], a[1], op, c);
    const ys = this.of(b[0], b[1], op, c);
    const ratios: number[] = [];
    for (const x of xs) {
      const y = ys.find((m) => m.repeat === x.repeat);
      if (y) ratios.push(x.opsPerSec / y.opsPerSec);
    }
    return median(ratios);
  }
  ops(): string[] {
    return [...new Set(this.list.map((m) => m.op))];
  }
  subjects(client: string, op: string): SubjectKey[] {
    const here = new Set(
      this.list.filter((m) => m.client === client && m.op === op).map((m) => m.subject),
    );
    return SUBJECT_KEYS.filter((s) => here.has(s));
  }
}

/**
 * Throughput, latency and Redis CPU per operation and subject of one client, with each
 * subject's ratio to the raw floor and to adapter 2.1.2.
 */
export function throughputTable(f: Figures, client: string, cs: number[]): string {
  const header = ["operation", "subject"];
  for (const c of cs) {
    header.push(`ops/s c=${c}`, `p50 ms c=${c}`, `p99 ms c=${c}`, `Redis µs/op c=${c}`);
  }
  for (const c of cs) header.push(`× floor c=${c}`);
  for (const c of cs) header.push(`× 2.1.2 c=${c}`);
  const rows: string[][] = [];
  for (const op of f.ops()) {
    for (const s of f.subjects(client, op)) {
      const row = [op, s === "ours" ? `**${SUBJECT_NAMES[s]}**` : SUBJECT_NAMES[s]];
      for (const c of cs) {
        row.push(
          fmtInt(f.med(client, s, op, c, "opsPerSec")),
          fmtMs(f.med(client, s, op, c, "p50")),
          fmtMs(f.med(client, s, op, c, "p99")),
          fmtNum(f.med(client, s, op, c, "serverCpuUs")),
        );
      }
      const hasRaw = f.subjects(client, op).includes("raw");
      const hasV2 = f.subjects(client, op).includes("v2");
      for (const c of cs) {
        row.push(
          hasRaw && s !== "raw" ? fmtRatio(f.ratio([client, s], [client, "raw"], op, c)) : "",
        );
      }
      for (const c of cs) {
        row.push(hasV2 && s !== "v2" ? fmtRatio(f.ratio([client, s], [client, "v2"], op, c)) : "");
      }
      rows.push(row);
    }
  }
  return table(header, rows, header.map((_, i) => (i < 2 ? "---" : "--:")));
}
