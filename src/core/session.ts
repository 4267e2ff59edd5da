/**
 * Sessions as Lucia v1 hands them to the adapter, and as they are stored in Redis.
 *
 * @module
 */
import { MAX_TIME } from "./util.ts";
import { InvalidSessionDataError, shortId } from "./errors.ts";

/**
 * A session as Lucia v1 passes it to `setSession` (lucia-auth's `SessionSchema`): expiries are
 * Unix times in milliseconds, as numbers or bigints. Extra fields are stored as given.
 *
 * @example A session with a bigint expiry and an extra field, stored
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { type SessionSchema } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const adapter = redis(redisClient)();
 *
 * const now = Date.now();
 * const session: SessionSchema = {
 *   id: crypto.randomUUID(),
 *   user_id: crypto.randomUUID(),
 *   active_expires: now + 60 * 60 * 1000,
 *   idle_expires: BigInt(now + 2 * 60 * 60 * 1000), // a bigint is fine too
 *   device: "Pixel 8", // any other field is stored as given
 * };
 * await adapter.setSession(session);
 * assert.equal((await adapter.getSession(session.id))?.device, "Pixel 8");
 *
 * await adapter.deleteSession(session.id);
 * await redisClient.quit();
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
 * @example What getSession returns for a session stored with a bigint expiry
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { type StoredSession } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const adapter = redis(redisClient)();
 *
 * const idle = Date.now() + 2 * 60 * 60 * 1000;
 * const id = crypto.randomUUID();
 * await adapter.setSession({
 *   id,
 *   user_id: "user-id",
 *   active_expires: BigInt(idle - 60 * 60 * 1000),
 *   idle_expires: BigInt(idle),
 * });
 * const session: StoredSession | null = await adapter.getSession(id);
 * assert.deepEqual(session, {
 *   id,
 *   user_id: "user-id",
 *   active_expires: idle - 60 * 60 * 1000, // numbers, always
 *   idle_expires: idle,
 * });
 *
 * await adapter.deleteSession(id);
 * await redisClient.quit();
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
  } catch {
    // Not the runtime's SyntaxError: its message quotes the input (Bun's a whole token, such as
    // a session id; V8's up to 10 characters of it), and the input holds session ids.
    throw new InvalidSessionDataError(key, "it is not valid JSON", { cause: notJson(raw) });
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

/**
 * The parse error of a stored value that is not JSON, in words that quote none of it: what is
 * wrong, where, and the value's length, such as `not JSON: unexpected character at position 41
 * of 53 characters`.
 *
 * @internal
 */
export function notJson(text: string): SyntaxError {
  const fault = jsonFault(text);
  const of = `of ${text.length} characters`;
  return new SyntaxError(
    fault === undefined
      ? `not JSON (${text.length} characters)`
      : `not JSON: ${fault.kind} at position ${fault.at} ${of}`,
  );
}

/** What is wrong with a text that is not JSON, and where. @internal */
export interface JsonFault {
  /** What is wrong, such as "unexpected end of input". */
  kind: string;
  /** Where: an offset in UTF-16 code units (the text's length for its end). */
  at: number;
}

const DIGIT = /[0-9]/;
const ESCAPE = /["\\/bfnrt]/;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const LITERALS = ["true", "false", "null"];

/**
 * The first place where `text` stops being JSON (RFC 8259, as `JSON.parse` reads it), or
 * undefined when it is JSON. Iterative, so that deep nesting cannot overflow the stack.
 *
 * @internal
 */
export function jsonFault(text: string): JsonFault | undefined {
  const n = text.length;
  const open: string[] = []; // The closers awaited, innermost last.
  let i = 0;
  const space = () => {
    while (i < n && " \t\n\r".includes(text[i])) i++;
  };
  const fault = (kind: string): JsonFault =>
    i >= n ? { kind: "unexpected end of input", at: n } : { kind, at: i };
  const digits = (): boolean => {
    const from = i;
    while (i < n && DIGIT.test(text[i])) i++;
    return i > from;
  };
  /** Reads a string at `i` (its opening quote); returns its fault, if any. */
  const string = (): JsonFault | undefined => {
    for (i++; i < n; i++) {
      const c = text[i];
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c < " ") return fault("control character in a string");
      if (c === "\\") {
        i++;
        if (i < n && text[i] === "u") {
          if (!HEX4.test(text.slice(i + 1, i + 5))) return fault("invalid \\u escape in a string");
          i += 4;
        } else if (i >= n || !ESCAPE.test(text[i])) return fault("invalid escape in a string");
      }
    }
    return { kind: "unexpected end of input inside a string", at: n };
  };
  /** Reads a number at `i`; returns its fault, if any. */
  const number = (): JsonFault | undefined => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else if (!digits()) return fault("invalid number");
    if (text[i] === ".") {
      i++;
      if (!digits()) return fault("invalid number");
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      if (!digits()) return fault("invalid number");
    }
    return undefined;
  };
  let expect: "value" | "key" = "value";
  for (;;) {
    // A value (or an object's key and colon, then its value).
    space();
    if (expect === "key") {
      if (text[i] !== '"') return fault("unexpected character where a key was expected");
      const bad = string();
      if (bad) return bad;
      space();
      if (text[i] !== ":") return fault("unexpected character where a colon was expected");
      i++;
      space();
    }
    const c = text[i];
    let opened = false;
    if (c === "{" || c === "[") {
      i++;
      space();
      const closer = c === "{" ? "}" : "]";
      if (text[i] === closer) i++;
      else {
        open.push(closer);
        expect = c === "{" ? "key" : "value";
        opened = true;
      }
    } else if (c === '"') {
      const bad = string();
      if (bad) return bad;
    } else if (c === "-" || (c !== undefined && DIGIT.test(c))) {
      const bad = number();
      if (bad) return bad;
    } else {
      const literal = LITERALS.find((word) => text.startsWith(word, i));
      if (literal === undefined) return fault("unexpected character where a value was expected");
      i += literal.length;
    }
    if (opened) continue;
    // After a value: a comma, a closer, or (at the top) the end.
    for (;;) {
      space();
      if (open.length === 0) {
        return i < n ? fault("unexpected character after the JSON value") : undefined;
      }
      if (text[i] === ",") {
        i++;
        expect = open[open.length - 1] === "}" ? "key" : "value";
        break;
      }
      if (text[i] !== open[open.length - 1]) {
        return fault("unexpected character where a comma or a closing bracket was expected");
      }
      open.pop();
      i++;
    }
  }
}

/** A session ready to write. @internal */
export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  /** The value to store: the session as JSON, `user_id` first. */
  readonly json: string;
  /** When the session key expires (ms since the epoch, an integer): its idle expiry. */
  readonly expiresAt: number;
}
