/**
 * What every operation goes through: the deadline, errors that name the operation and the key,
 * and the one-time check of the server's eviction policy.
 *
 * @module
 */
import { DeadlineError, InvalidSessionDataError, RedisOperationError } from "../core/errors.ts";
import type { Connection } from "../clients/connection.ts";
import { checkEvictionPolicy } from "./eviction_check.ts";

/** Runs operations: `run("getSession", keyForLog, work)`. @internal */
export type RunOperation = <T>(
  operation: string,
  keyForLog: string,
  work: () => Promise<T>,
) => Promise<T>;

/** True for the errors the adapter throws itself, which pass through unchanged. */
function isOwnError(error: unknown): boolean {
  return error instanceof RedisOperationError || error instanceof InvalidSessionDataError;
}

/**
 * Runs each operation under the adapter's settings. `client` is what the user passed to
 * `redis()`: the eviction check runs once per client, whatever the number of adapters on it.
 *
 * @internal
 */
export function operationRunner(
  client: unknown,
  connection: Connection,
  settings: { deadline: number | undefined; evictionWarning: boolean },
): RunOperation {
  const { deadline, evictionWarning } = settings;
  return async (operation, keyForLog, work) => {
    if (evictionWarning) checkEvictionPolicy(client, connection);
    const attempt = work().catch((error: unknown) => {
      throw isOwnError(error) ? error : new RedisOperationError(operation, keyForLog, error);
    });
    if (deadline === undefined) return await attempt;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        connection.stalled?.();
        reject(new DeadlineError(operation, keyForLog, deadline));
      }, deadline);
    });
    attempt.catch(() => {}); // Settling after the deadline is not an unhandled rejection.
    try {
      return await Promise.race([attempt, expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
