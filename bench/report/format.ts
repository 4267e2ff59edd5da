/**
 * Number formats and Markdown tables of bench/RESULTS.md.
 *
 * @module
 */

/** The median of the finite values (NaN for none). */
export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** A whole number with thousands separators, or — */
export function fmtInt(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return Math.round(n).toLocaleString("en-US");
}

/** Milliseconds to 3 significant-ish digits, or — */
export function fmtMs(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1);
}

/** A ratio as `1.23×`, or — */
export function fmtRatio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : "—";
}

/** A number, with `digits` decimals unless whole, or — */
export function fmtNum(n: number, digits = 1): string {
  return Number.isFinite(n) ? (Number.isInteger(n) ? String(n) : n.toFixed(digits)) : "—";
}

/** A signed whole number, `+1,234` or `−1,234`, or — */
export function signed(n: number): string {
  return Number.isFinite(n) ? `${n >= 0 ? "+" : "−"}${fmtInt(Math.abs(n))}` : "—";
}

/** A Markdown table; `align` defaults to the first column left, the others right. */
export function table(header: string[], rows: string[][], align?: string[]): string {
  const sep = align ?? header.map((_, i) => (i === 0 ? "---" : "--:"));
  return [
    `| ${header.join(" | ")} |`,
    `| ${sep.join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}
