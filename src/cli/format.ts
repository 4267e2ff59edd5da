/**
 * Text formatting for the tool's output: numbers, sizes, durations, aligned rows and bars. The
 * same on every runtime (no locale-dependent formatting).
 *
 * @module
 */

/** An integer with thousands separators: `1,234,567`. */
export function count(n: number): string {
  const sign = n < 0 ? "-" : "";
  const digits = String(Math.round(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A count and its noun, singular for exactly 1: `1 session`, `0 sessions`, `1,234 keys`;
 * `many` for a plural that is not the noun with an `s`: `plural(3, "primary", "primaries")`.
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** A size in bytes: `512 B`, `4.2 KB`, `118.0 MB` (powers of 1024). */
export function bytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A duration in seconds: `0.4 s`, `12.3 s`, `4m05s`, `1h02m`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A time as ISO 8601, or the number itself when it is not a valid time. */
export function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/**
 * Rows of a label and a value, the labels padded to one width and the values right-aligned:
 * `  live sessions      1,234`.
 */
export function rows(items: readonly (readonly [string, string])[], indent = "  "): string {
  const labelWidth = Math.max(0, ...items.map(([label]) => label.length));
  const valueWidth = Math.max(0, ...items.map(([, value]) => value.length));
  return items
    .map(([label, value]) => `${indent}${label.padEnd(labelWidth)}  ${value.padStart(valueWidth)}`)
    .join("\n");
}

/** A horizontal bar of `width` cells for `value` out of `max`: `████▌`. */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0) return "";
  const cells = Math.max(0.5, (value / max) * width);
  const whole = Math.floor(cells);
  return "█".repeat(whole) + (cells - whole >= 0.5 ? "▌" : "");
}

/** A small text histogram: one row per bucket, a bar and the count. */
export function histogram(buckets: readonly (readonly [string, number])[], width = 30): string {
  const max = Math.max(0, ...buckets.map(([, n]) => n));
  const labelWidth = Math.max(...buckets.map(([label]) => label.length));
  const countWidth = Math.max(...buckets.map(([, n]) => count(n).length));
  return buckets
    .map(([label, n]) =>
      `  ${label.padEnd(labelWidth)}  ${count(n).padStart(countWidth)}  ${bar(n, max, width)}`
        .trimEnd()
    )
    .join("\n");
}
