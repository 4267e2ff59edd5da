/**
 * The adapter's errors. A Lucia session id is a bearer token and error messages end up in logs,
 * so wherever an error names a session key it shows only the first few characters of the id
 * ({@linkcode shortId}).
 *
 * @module
 */

/**
 * The first characters of a session id, enough to tell ids apart in a log and far too few to
 * use one: at most 6, and at most a third of the id, then `…`. A 40-character Lucia id shows 6
 * of its characters.
 *
 * @internal
 */
export function shortId(id: string): string {
  // The first n code points, a surrogate pair counting as one (on every call's path: no arrays).
  const n = Math.min(6, Math.floor(id.length / 3));
  let end = 0;
  for (let taken = 0; taken < n && end < id.length; taken++) {
    const unit = id.charCodeAt(end);
    const next = id.charCodeAt(end + 1);
    end += unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
  }
  return `${id.slice(0, end)}…`;
}

/**
 * Thrown when a value stored under a session key is not a session this adapter can read: not
 * JSON, or JSON without a string `id` and `user_id` and numeric `active_expires` and
 * `idle_expires`. The message and `key` name the key, with only the start of the session id;
 * for a value that is not JSON, `cause` is a `SyntaxError` that says where it stops being JSON
 * and how long it is, without quoting it (a runtime's own parse error quotes the value, and so
 * the session id in it).
 *
 * @example Telling corrupt data apart from Redis errors
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { InvalidSessionDataError } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const adapter = redis(redisClient)();
 *
 * // A value the adapter did not write, under a session key:
 * const id = crypto.randomUUID();
 * await redisClient.set(`session:${id}`, "not JSON", { PX: 60_000 });
 * await assert.rejects(adapter.getSession(id), (error) => {
 *   assert.ok(error instanceof InvalidSessionDataError);
 *   assert.equal(error.key, `session:${id.slice(0, 6)}…`); // the id shortened
 *   return true;
 * });
 * await redisClient.del(`session:${id}`);
 * await redisClient.quit();
 * ```
 */
export class InvalidSessionDataError extends Error {
  /** The Redis key whose value could not be read as a session, its id shortened. */
  readonly key: string;

  /**
   * Creates the error. The adapter throws it; applications only need it to tell corrupt data
   * apart from other errors.
   *
   * @param key The Redis key whose value could not be read, its session id shortened.
   * @param reason Why, completing "Cannot read the session stored at Redis key …: ".
   * @param options `cause`: the underlying error, if any.
   */
  constructor(key: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot read the session stored at Redis key "${key}": ${reason}`, options);
    this.name = "InvalidSessionDataError";
    this.key = key;
  }
}

/**
 * Thrown when Redis or the client fails an operation: a connection error, a timeout of the
 * client's own, `WRONGTYPE` because a key holds something the adapter did not write, `NOPERM`
 * from an ACL, `READONLY` from a replica, `OOM`. The message names the operation and the key
 * (a session key with only the start of its id); `cause` is the client's error, unchanged.
 *
 * @example A key that holds something else: the operation, the key, and Redis's own error
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { RedisOperationError } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const adapter = redis(redisClient)();
 *
 * // A hash where the adapter keeps a user's index:
 * const userId = crypto.randomUUID();
 * await redisClient.hSet(`userSession:${userId}`, "field", "value");
 * await assert.rejects(adapter.getSessionsByUserId(userId), (error) => {
 *   assert.ok(error instanceof RedisOperationError);
 *   assert.equal(error.operation, "getSessionsByUserId");
 *   assert.match(error.message, /^getSessionsByUserId failed on Redis key "userSession:.*WRONGTYPE/);
 *   assert.ok(error.cause instanceof Error); // the client's error, unchanged
 *   return true;
 * });
 * await redisClient.del(`userSession:${userId}`);
 * await redisClient.quit();
 * ```
 */
export class RedisOperationError extends Error {
  /** The adapter operation that failed, such as `"setSession"`. */
  readonly operation: string;
  /** The key the failure is about, a session key with only the start of its id. */
  readonly key: string;

  /**
   * Creates the error; the adapter throws it.
   *
   * @param operation The adapter operation that failed.
   * @param key The key the failure is about (session ids already shortened).
   * @param cause The client's error.
   * @param message The message; by default "`operation` failed on Redis key `key`: …" with the
   * cause's message.
   */
  constructor(operation: string, key: string, cause: unknown, message?: string) {
    super(
      message ??
        `${operation} failed on Redis key "${key}": ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
      { cause },
    );
    this.name = "RedisOperationError";
    this.operation = operation;
    this.key = key;
  }
}

/**
 * Thrown when an operation has not settled within the adapter's `deadline` option. The command
 * may still reach Redis later: a write that timed out may or may not have been applied (every
 * write is atomic, and a retry of `setSession` with the same session succeeds either way).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DeadlineError, RedisOperationError } from "@lucia-auth/adapter-session-redis";
 *
 * const error = new DeadlineError("getSession", "session:3f9a1c…", 250);
 * assert.ok(error instanceof RedisOperationError);
 * assert.equal(error.deadline, 250);
 * assert.match(error.message, /getSession did not settle within its deadline of 250 ms/);
 * ```
 */
export class DeadlineError extends RedisOperationError {
  /** The deadline that passed, in milliseconds. */
  readonly deadline: number;

  /**
   * Creates the error; the adapter throws it.
   *
   * @param operation The adapter operation that did not settle.
   * @param key The key it was about (session ids already shortened).
   * @param deadline The deadline, in milliseconds.
   */
  constructor(operation: string, key: string, deadline: number) {
    super(
      operation,
      key,
      undefined,
      `${operation} did not settle within its deadline of ${deadline} ms (Redis key "${key}")`,
    );
    this.name = "DeadlineError";
    this.deadline = deadline;
  }
}

/**
 * Thrown, with the `durability` option, when a revocation (`deleteSession`,
 * `deleteSessionsByUserId`, or `setSession` under a `maxSessionsPerUser` cap) is applied on the
 * primary but `WAIT` did not report enough replicas with it within the option's timeout: a
 * failover before they catch up could bring the revoked sessions back. The change is applied on
 * the primary, so a retry is safe (it changes nothing more, and waits again).
 *
 * @example With the `durability` option on a server without replicas
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { DurabilityError } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const adapter = redis(redisClient, { durability: { replicas: 1, timeout: 100 } })();
 *
 * const id = crypto.randomUUID();
 * await assert.rejects(adapter.deleteSession(id), (error) => {
 *   assert.ok(error instanceof DurabilityError);
 *   assert.equal(error.confirmed, 0); // no replica confirmed it within 100 ms
 *   assert.match(error.message, /a retry is safe/);
 *   return true;
 * });
 * await redisClient.quit();
 * ```
 */
export class DurabilityError extends RedisOperationError {
  /** How many replicas confirmed the change (the fewest, when it was sent to several primaries). */
  readonly confirmed: number;
  /** How many replicas the `durability` option asks for. */
  readonly replicas: number;
  /** The option's timeout, in milliseconds: how long `WAIT` waited. */
  readonly timeout: number;

  /**
   * Creates the error; the adapter throws it.
   *
   * @param operation The adapter operation whose change is not confirmed.
   * @param key The key it was about (session ids already shortened).
   * @param counts `confirmed`: replicas that confirmed; `replicas`: replicas asked for; `timeout`:
   * how long `WAIT` waited, in milliseconds.
   */
  constructor(
    operation: string,
    key: string,
    counts: { confirmed: number; replicas: number; timeout: number },
  ) {
    const { confirmed, replicas, timeout } = counts;
    super(
      operation,
      key,
      undefined,
      `${operation} is applied on the primary, but ${confirmed} of ${replicas} ` +
        `replica${replicas === 1 ? "" : "s"} asked for confirmed it within ${timeout} ms ` +
        `(WAIT, Redis key "${key}"): a failover before the replicas catch up could undo it. ` +
        "The change stays applied on the primary, so a retry is safe.",
    );
    this.name = "DurabilityError";
    this.confirmed = confirmed;
    this.replicas = replicas;
    this.timeout = timeout;
  }
}

/**
 * Thrown by the Lucia v2 adapter's `setSession` when the session's id is taken by another
 * session: nothing is written. (Lucia v2 has no error code for it; Lucia v1's adapter throws
 * Lucia's `LuciaError("AUTH_DUPLICATE_SESSION_ID")` instead.) `key` names the session key, with
 * only the start of the id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DuplicateSessionIdError } from "@lucia-auth/adapter-session-redis/v2";
 *
 * const error = new DuplicateSessionIdError("session:3f9a1c…");
 * assert.equal(error.name, "DuplicateSessionIdError");
 * assert.match(error.message, /its id is taken by another session/);
 * ```
 */
export class DuplicateSessionIdError extends Error {
  /** The session key, its id shortened. */
  readonly key: string;

  /**
   * Creates the error; the adapter throws it.
   *
   * @param key The session key, its id shortened.
   */
  constructor(key: string) {
    super(`Cannot store the session at Redis key "${key}": its id is taken by another session`);
    this.name = "DuplicateSessionIdError";
    this.key = key;
  }
}
