/**
 * The time budgets of the fault scenarios: how long a scenario may take before it counts as
 * hung. Each is derived from what the scenario itself sets (its calls, how many run at once,
 * the adapter's `deadline`, how long its fault lasts), never a fixed wall clock. A loaded
 * machine makes every scenario slower, and a client stuck after a fault (node-redis 5.9, see
 * tests/README.md) makes every call last its whole deadline: a budget must hold then too.
 *
 * @module
 */

/**
 * How late a deadline's timer may fire on a loaded 2-core machine (a busy event loop, a GC
 * pause), once per operation.
 */
export const TIMER_LATENESS_MS = 1_000;

/** A margin added once to a whole test: the event loop's stalls, connecting, closing. */
export const SLACK_MS = 5_000;

/**
 * The most calls a load makes, whatever the time it runs: a fast client makes tens of
 * thousands in a second, and the checks after a load go through every session it wrote.
 */
export const MAX_LOAD_CALLS = 50_000;

/**
 * What checking one session after a load may take: the invariants' round trips for its key
 * (PEXPIRETIME, GET, ZSCORE, the index's PEXPIRETIME) and a scenario's own GET, on a loaded
 * machine (about 0.3 ms measured unloaded).
 */
export const CHECK_MS_PER_SESSION = 2;

/** A load: calls of adapter operations, `concurrency` in flight, every operation under a deadline. */
export interface LoadPlan {
  /** At least this many calls, */
  readonly calls: number;
  /** and for at least this long (ms), whichever ends later (at most MAX_LOAD_CALLS calls). */
  readonly minMs: number;
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** The adapter's `deadline` option (ms): every operation settles by it. */
  readonly deadline: number;
  /** The most adapter operations one call makes, one after another. */
  readonly opsPerCall: number;
}

/** The longest one call of `plan` can take: each of its operations settles by the deadline. */
export function callBudget(plan: LoadPlan): number {
  return plan.opsPerCall * (plan.deadline + TIMER_LATENESS_MS);
}

/**
 * The longest a load of `plan` can take, a client stuck for all of it included: calls start until
 * `minMs` has passed (the last of them ends one call later), and then the rest of the `calls`,
 * `concurrency` at a time: `minMs + (ceil(calls / concurrency) + 2) × callBudget` (one more call
 * for uneven shares among the workers).
 */
export function loadBudget(plan: LoadPlan): number {
  return plan.minMs + (Math.ceil(plan.calls / plan.concurrency) + 2) * callBudget(plan);
}

/** The longest the checks after a load of `plan` can take: every session it can have written. */
export function checkBudget(plan: LoadPlan): number {
  const calls = plan.minMs > 0 ? MAX_LOAD_CALLS : Math.min(plan.calls, MAX_LOAD_CALLS);
  return calls * CHECK_MS_PER_SESSION;
}

/**
 * A test's own timeout (node:test's `timeout`, which Bun and Deno honour over `--timeout`): its
 * load, the checks after it, `extraMs` for the rest of the scenario (an outage, operations
 * after the load, each from its own budget), and SLACK_MS.
 */
export function testTimeout(plan: LoadPlan, extraMs = 0): { timeout: number } {
  return { timeout: loadBudget(plan) + checkBudget(plan) + extraMs + SLACK_MS };
}

/** How {@linkcode loadBudget} came to its figure, for a failure's message. */
export function describeBudget(plan: LoadPlan): string {
  return `budget: ${plan.minMs} ms + (ceil(${plan.calls} calls / ${plan.concurrency} at once) + 2) ` +
    `× ${plan.opsPerCall} operations × (a deadline of ${plan.deadline} ms + ${TIMER_LATENESS_MS} ms)`;
}
