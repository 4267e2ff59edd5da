/**
 * Helpers of the load script: the runtime it runs on, logging, session data, bounded pools of
 * concurrent operations.
 *
 * @module
 */
import process from "node:process";
import type { BenchSession, SessionUpdate } from "../subjects.ts";
import type { UpdateKind } from "./types.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The runtime this runs on and its version. */
export function runtimeInfo(): { runtime: string; version: string } {
  if (g.Deno?.version) return { runtime: "deno", version: g.Deno.version.deno };
  if (g.Bun?.version) return { runtime: "bun", version: g.Bun.version };
  return { runtime: "node", version: process.versions.node };
}

/** The label of an operation, e.g. `getSessionsByUserId(10)`, `updateSession(renewal)`. */
export function opLabel(spec: { op: string; k?: number; update?: string }): string {
  const arg = spec.update ?? spec.k;
  return arg === undefined ? spec.op : `${spec.op}(${arg})`;
}

/** What an updateSession of `s` sends: an attribute, or a renewal one day past its expiries. */
export function updateOf(kind: UpdateKind, s: BenchSession): SessionUpdate {
  return kind === "country" ? { country: "DE" } : {
    active_expires: s.active_expires + 86_400_000,
    idle_expires: s.idle_expires + 86_400_000,
  };
}

/** Whether a session read back carries the update. */
export function hasUpdate(session: unknown, update: SessionUpdate): boolean {
  const s = session as Record<string, unknown> | null;
  return s !== null && Object.entries(update).every(([field, value]) => s[field] === value);
}

/** Writes a line to stderr, tagged with the runtime. */
export function log(message: string): void {
  process.stderr.write(`[${runtimeInfo().runtime}] ${message}\n`);
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tagCounter = 0;

/** A tag unique to this process and call, 8 characters of [a-z0-9]. */
function freshTag(): string {
  const random = Math.random().toString(36).slice(2, 6).padEnd(4, "0");
  return (random + (tagCounter++ % 1679616).toString(36).padStart(4, "0")).slice(0, 8);
}

/** Session ids of 40 characters (Lucia's length), user ids of 15, all [a-z0-9]. */
export class Sessions {
  readonly tag = freshTag();
  constructor(readonly perUser: number, readonly idleMs = 14 * 86_400_000) {}
  id(n: number): string {
    return this.tag + n.toString(36).padStart(32, "0");
  }
  user(u: number): string {
    return this.tag + "u" + u.toString(36).padStart(6, "0");
  }
  session(n: number, now = Date.now()): BenchSession {
    return {
      id: this.id(n),
      user_id: this.user(Math.floor(n / this.perUser)),
      active_expires: now + Math.min(86_400_000, this.idleMs / 2),
      idle_expires: now + this.idleMs,
    };
  }
}

/** How far a pool got: the next index, its time, and each operation's latency (ms). */
export interface PoolRun {
  done: number;
  seconds: number;
  latencies: Float64Array;
}

/**
 * Runs `fn(first..count-1)` on `concurrency` workers until all are done or `timeMs` passes
 * (no new operation starts after that; those in flight finish). `done` is the next index.
 */
export async function runPool(
  concurrency: number,
  count: number,
  timeMs: number,
  fn: (i: number) => Promise<unknown>,
  latencies?: Float64Array,
  first = 0,
): Promise<PoolRun> {
  let next = first;
  const start = performance.now();
  const deadline = start + timeMs;
  const worker = async () => {
    for (;;) {
      if (next >= count) return;
      const t0 = performance.now();
      if (t0 > deadline) return;
      const i = next++;
      await fn(i);
      if (latencies) latencies[i] = performance.now() - t0;
    }
  };
  const workers = Math.max(1, Math.min(concurrency, count - first));
  await Promise.all(Array.from({ length: workers }, worker));
  return {
    done: next,
    seconds: (performance.now() - start) / 1000,
    latencies: latencies ?? new Float64Array(0),
  };
}

/** The `p` quantile of sorted values (NaN for none). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Throws when a benchmark result is wrong. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`Benchmark check failed: ${message}`);
}
