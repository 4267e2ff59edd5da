/**
 * Polling until a condition holds, with the last reason it did not in the timeout error.
 *
 * @module
 */

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a probe of {@linkcode pollUntil} returns while the condition does not hold yet. */
export class Waiting {
  constructor(readonly why: string) {}
}

/**
 * Calls `probe` (50 ms apart) until it returns something other than a {@linkcode Waiting};
 * rejects after `timeoutMs`, naming `what` and the last reason it was still waiting.
 */
export async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | Waiting>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last = "no answer yet";
  while (performance.now() < deadline) {
    try {
      const result = await probe();
      if (!(result instanceof Waiting)) return result;
      last = result.why;
    } catch (error) {
      last = String(error);
    }
    await sleep(50);
  }
  throw new Error(`${what}: not done after ${timeoutMs} ms (last: ${last})`);
}
