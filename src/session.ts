/**
 * Sessions as Lucia v1 hands them to the adapter, and as they are stored in Redis.
 *
 * @module
 */
import { MAX_TIME } from "./_util.ts";
import { InvalidSessionDataError, shortId } from "./errors.ts";
import type { SessionRecord } from "./store.ts";

/**
 * A session as Lucia v1 passes it to `setSession` (lucia-auth's `SessionSchema`): expiries are
 * Unix times in milliseconds, as numbers or bigints. Extra fields are stored as given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { SessionSchema } from "@lucia-auth/adapter-session-redis";
 *
 * const now = Date.now();
 * const session: SessionSchema = {
 *   id: "session-id",
 *   user_id: "user-id",
 *   active_expires: now + 60 * 60 * 1000,
 *   idle_expires: BigInt(now + 2 * 60 * 60 * 1000), // a bigint is fine too
 * };
 * assert.equal(typeof session.idle_expires, "bigint");
 * ```
 */
export interface SessionSchema {
  /** The session id. */
  readonly id: string;
  /** The id of the user the session belongs to. */
  readonly user_id: string;
  /** When the active period ends (Unix time, ms). */
  readonly active_expires: number | bigint;
  /** When the idle period ends (Unix time, ms); the session's key expires then. */
  readonly idle_expires: number | bigint;
  /** Any other field, stored as given. */
  readonly [field: string]: unknown;
}

/**
 * A session as the adapter returns it: expiries always as numbers, extra fields as stored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { StoredSession } from "@lucia-auth/adapter-session-redis";
 *
 * // What `await adapter.getSession(id)` returns for a session stored with a bigint expiry:
 * const session: StoredSession = {
 *   user_id: "user-id",
 *   id: "session-id",
 *   active_expires: 1767225600000,
 *   idle_expires: 1768435200000,
 * };
 * assert.equal(new Date(session.idle_expires).toISOString(), "2026-01-15T00:00:00.000Z");
 * ```
 */
export interface StoredSession {
  /** The session id. */
  readonly id: string;
  /** The id of the user the session belongs to. */
  readonly user_id: string;
  /** When the active period ends (Unix time, ms). */
  readonly active_expires: number;
  /** When the idle period ends (Unix time, ms). */
  readonly idle_expires: number;
  /** Any other field that was stored with the session. */
  readonly [field: string]: unknown;
}

/**
 * Checks that `value` is an id Redis can store exactly: a string of well-formed Unicode (a lone
 * surrogate would be sent as U+FFFD and so name another key).
 *
 * @internal
 */
export function assertId(value: unknown, what: string, allowEmpty = true): asserts value is string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot use ${what}: expected a string, got ${typeof value}`);
  }
  if (!allowEmpty && value === "") throw new TypeError(`Cannot use ${what}: it is empty`);
  if (!isWellFormed(value)) {
    throw new TypeError(`Cannot use ${what}: it contains a lone UTF-16 surrogate`);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `value` is well-formed Unicode: no lone UTF-16 surrogate. @internal */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

function toExpiry(value: unknown, field: string, id: string): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new TypeError(
      `Cannot store session "${shortId(id)}": ${field} must be a finite number or bigint (ms ` +
        `since the Unix epoch), got ${typeof value === "number" ? String(value) : typeof value}`,
    );
  }
  if (n <= 0 || n > MAX_TIME) {
    throw new RangeError(
      `Cannot store session "${shortId(id)}": ${field} must be a time after the Unix epoch and ` +
        `no later than 8.64e15 ms (the latest a Date can hold), got ${String(value)}`,
    );
  }
  return n;
}

function ownId(session: object, field: "id" | "user_id", what: string): string {
  if (!Object.hasOwn(session, field)) {
    throw new TypeError(
      `Cannot store session: its ${field} must be an own property of the session object ` +
        "(one inherited from a prototype would not be stored)",
    );
  }
  const value = (session as Record<string, unknown>)[field];
  assertId(value, what, false);
  return value;
}

/**
 * Validates a session and turns it into the JSON stored in Redis, `user_id` first (so that a
 * script can read the owner without decoding it), then `id`, then every other field. Throws
 * before anything is written: TypeError for a missing, inherited or empty id or user_id, or a
 * non-finite expiry; RangeError for an expiry outside what a `Date` can hold.
 *
 * @internal
 */
export function serializeSession(session: SessionSchema): SessionRecord {
  if (typeof session !== "object" || session === null) {
    throw new TypeError(`Cannot store session: expected an object, got ${typeof session}`);
  }
  const id = ownId(session, "id", "the session's id");
  const userId = ownId(session, "user_id", `the user_id of session "${shortId(id)}"`);
  const active = toExpiry(session.active_expires, "active_expires", id);
  const idle = toExpiry(session.idle_expires, "idle_expires", id);
  const { id: _id, user_id: _userId, ...rest } = session;
  let json: string;
  try {
    json = JSON.stringify({
      user_id: userId,
      id,
      ...rest,
      active_expires: active,
      idle_expires: idle,
    });
  } catch (error) {
    throw new TypeError(
      `Cannot store session "${shortId(id)}": it cannot be turned into JSON (${
        (error as Error).message
      })`,
      { cause: error },
    );
  }
  return { id, userId, json, expiresAt: Math.ceil(idle) };
}

/**
 * Parses the value stored at a session key. Throws {@linkcode InvalidSessionDataError} naming
 * the key (`keyForLog`, its id shortened) when it is not a session.
 *
 * @internal
 */
export function parseSession(keyForLog: string, raw: string): StoredSession {
  const key = keyForLog;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new InvalidSessionDataError(key, "it is not valid JSON", { cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidSessionDataError(key, "it is not a JSON object");
  }
  const s = value as Record<string, unknown>;
  for (const field of ["id", "user_id"]) {
    if (typeof s[field] !== "string") {
      throw new InvalidSessionDataError(key, `its "${field}" is not a string`);
    }
  }
  for (const field of ["active_expires", "idle_expires"]) {
    if (typeof s[field] !== "number") {
      throw new InvalidSessionDataError(key, `its "${field}" is not a number`);
    }
  }
  return s as StoredSession;
}
