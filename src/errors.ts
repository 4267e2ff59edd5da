/**
 * The adapter's own error.
 *
 * @module
 */

/**
 * Thrown when a value stored under a session key is not a session this adapter can read: not
 * JSON, or JSON without a string `id` and `user_id` and numeric `active_expires` and
 * `idle_expires`. The message names the key; `cause` holds the parse error, if any.
 *
 * @example Telling corrupt data apart from Redis errors
 * ```ts
 * import { InvalidSessionDataError } from "@lucia-auth/adapter-session-redis";
 *
 * const error = new InvalidSessionDataError("session:abc", "it is not valid JSON");
 * console.assert(error.name === "InvalidSessionDataError");
 * console.assert(error.key === "session:abc");
 * ```
 */
export class InvalidSessionDataError extends Error {
  /** The Redis key whose value could not be read as a session. */
  readonly key: string;

  /**
   * Creates the error. The adapter throws it; applications only need it to tell corrupt data
   * apart from other errors.
   *
   * @param key The Redis key whose value could not be read.
   * @param reason Why, completing "... is not a session: ".
   * @param options `cause`: the underlying error, if any.
   */
  constructor(key: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot read the session stored at Redis key "${key}": ${reason}`, options);
    this.name = "InvalidSessionDataError";
    this.key = key;
  }
}
