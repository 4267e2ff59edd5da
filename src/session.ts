/**
 * Sessions as Lucia v1 hands them to the adapter, and as they are stored in Redis.
 *
 * @module
 */
import { InvalidSessionDataError } from "./errors.ts";

/**
 * A session as Lucia v1 passes it to `setSession` (lucia-auth's `SessionSchema`): expiries are
 * Unix times in milliseconds, as numbers or bigints. Extra fields are stored as given.
 *
 * @example
 * ```ts
 * import type { SessionSchema } from "@lucia-auth/adapter-session-redis";
 *
 * const now = Date.now();
 * const session: SessionSchema = {
 *   id: "session-id",
 *   user_id: "user-id",
 *   active_expires: now + 60 * 60 * 1000,
 *   idle_expires: BigInt(now + 2 * 60 * 60 * 1000), // a bigint is fine too
 * };
 * console.assert(session.user_id === "user-id");
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
 * import redis, { type StoredSession } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const adapter = redis(createClient())();
 * async function idleExpiry(sessionId: string): Promise<Date | null> {
 *   const session: StoredSession | null = await adapter.getSession(sessionId);
 *   return session === null ? null : new Date(session.idle_expires);
 * }
 * console.assert(typeof idleExpiry === "function");
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

/** A session ready to write: its JSON and the absolute time its key expires. @internal */
export interface SerializedSession {
  readonly id: string;
  readonly userId: string;
  readonly json: string;
  /** `idle_expires` rounded up to a whole millisecond, for PXAT and the index score. */
  readonly expiresAt: number;
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

function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

function toExpiry(value: unknown, field: string, id: string): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n)) {
    throw new TypeError(
      `Cannot store session "${id}": ${field} must be a finite number or bigint (ms since the ` +
        `Unix epoch), got ${typeof value === "number" ? String(value) : typeof value}`,
    );
  }
  if (n <= 0) {
    throw new RangeError(`Cannot store session "${id}": ${field} must be positive, got ${n}`);
  }
  return n;
}

/**
 * Validates a session and turns it into the JSON stored in Redis. Throws before anything is
 * written: TypeError for a missing or empty id or user_id, or a non-finite expiry.
 *
 * @internal
 */
export function serializeSession(session: SessionSchema): SerializedSession {
  if (typeof session !== "object" || session === null) {
    throw new TypeError(`Cannot store session: expected an object, got ${typeof session}`);
  }
  assertId(session.id, "the session's id", false);
  assertId(session.user_id, `the user_id of session "${session.id}"`, false);
  const active = toExpiry(session.active_expires, "active_expires", session.id);
  const idle = toExpiry(session.idle_expires, "idle_expires", session.id);
  let json: string;
  try {
    json = JSON.stringify({ ...session, active_expires: active, idle_expires: idle });
  } catch (error) {
    throw new TypeError(
      `Cannot store session "${session.id}": it cannot be turned into JSON (${
        (error as Error).message
      })`,
      { cause: error },
    );
  }
  return { id: session.id, userId: session.user_id, json, expiresAt: Math.ceil(idle) };
}

/**
 * Parses the value stored at `key`. Throws {@linkcode InvalidSessionDataError} naming the key
 * when it is not a session.
 *
 * @internal
 */
export function parseSession(key: string, raw: string): StoredSession {
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
