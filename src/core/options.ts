/**
 * The adapter's options, their defaults, their validation, and the key names they give.
 *
 * @module
 */
import { CANNOT_CREATE } from "./util.ts";
import { type Keys, keysFor } from "./keys.ts";

/**
 * Options for {@linkcode redis}. Every option is checked when `redis()` is called: a wrong one
 * throws a TypeError or RangeError that names it, before anything is sent to Redis.
 *
 * @example Keys under an application prefix, a deadline, and a cap on sessions per user
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { type RedisSessionAdapterOptions } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * // Keys become `app:session:<sessionId>` and `app:userSession:<userId>`.
 * const options: RedisSessionAdapterOptions = {
 *   namespaces: { session: "app:session", userSession: "app:userSession" },
 *   deadline: 2000,
 *   maxSessionsPerUser: 100,
 * };
 * const session = redis(createClient(), options);
 * assert.equal(typeof session, "function");
 * assert.throws(() => redis(createClient(), { deadline: -1 }), RangeError);
 * // With replicas: revocations resolve once one replica has them (WAIT), within 500 ms.
 * redis(createClient(), { ...options, durability: { replicas: 1, timeout: 500 } });
 * assert.throws(() => redis(createClient(), { durability: { replicas: 0, timeout: 500 } }), RangeError);
 * // getSession from an in-process cache that Redis invalidates (opened at the first read).
 * redis(createClient(), { ...options, cache: { maxEntries: 10_000, maxAge: 60_000 } });
 * assert.throws(() => redis(createClient(), { cache: { maxEntries: 0, maxAge: 1 } }), /"cache/);
 * ```
 */
export interface RedisSessionAdapterOptions {
  /** Prefixes of the adapter's Redis keys; each is followed by `:` and an id. */
  namespaces?: {
    /**
     * Prefix of session keys: `${session}:${sessionId}`.
     *
     * @default {"session"}
     */
    session?: string;
    /**
     * Prefix of the per-user index keys: `${userSession}:${userId}`.
     *
     * @default {"userSession"}
     */
    userSession?: string;
  };
  /**
   * Milliseconds an operation may take before it rejects with a `DeadlineError` naming the
   * operation. The command is not withdrawn: it may still reach Redis later. Without a
   * deadline, a call lasts as long as the client lets it (see docs/clients.md for
   * the settings that make each client fail fast when Redis is down).
   *
   * @default {undefined} (no deadline)
   */
  deadline?: number;
  /**
   * The most live sessions a user may have: `setSession` signs the user's oldest sessions out
   * (those that expire first) when a new one would exceed it. Bounds the work one user can make
   * Redis do, since listing or signing out a user runs as one script.
   *
   * @default {undefined} (no cap)
   */
  maxSessionsPerUser?: number;
  /**
   * Whether to read the server's `maxmemory-policy` (with one `INFO`, once per client, beside
   * the first operation) and warn with `console.warn` when it can evict keys, which would let a
   * session outlive "sign out everywhere". A server or ACL that refuses `INFO` is not warned
   * about.
   *
   * @default {true}
   */
  evictionWarning?: boolean;
  /**
   * Makes revocations survive a failover: every operation that signs sessions out
   * (`deleteSession`, `deleteSessionsByUserId`, and `setSession` when `maxSessionsPerUser` is
   * set, since it may sign the oldest sessions out) resolves only once `WAIT replicas timeout`,
   * sent on the client's connection right after the write, reports at least `replicas` replicas
   * with it; otherwise it rejects with a `DurabilityError` (the change is applied on the primary,
   * and a retry is safe). Logins without a cap do not wait. Refused for Upstash (HTTP: no one
   * connection to `WAIT` on). See docs/server.md ("Replication and failover") for what it promises
   * and what it does not.
   *
   * @default {undefined} (off: a revocation resolves once the primary has applied it)
   */
  durability?: {
    /** How many replicas must have the change (a positive integer). */
    replicas: number;
    /** How long `WAIT` may wait for them, in milliseconds (a positive integer). */
    timeout: number;
  };
  /**
   * Answers `getSession` from an in-process cache of at most `maxEntries` sessions, kept fresh
   * by Redis itself (`CLIENT TRACKING` in broadcasting mode over a dedicated connection, a
   * duplicate of the client): an entry is dropped when Redis says its key changed (a write or a
   * sign-out from any client), after `maxAge` ms, and at the session's idle expiry. While the
   * dedicated connection is not confirmed up, the cache is empty and every read goes to Redis.
   * A revocation made elsewhere is seen after the invalidation's travel time; if the connection
   * dies without a word, after at most `min(maxAge, 2000)` ms. For node-redis and ioredis on a
   * single server (or behind Sentinel, untested); refused for cluster clients, Bun's client and
   * Upstash. See docs/caching.md.
   *
   * @default {undefined} (off: every `getSession` reads Redis)
   */
  cache?: {
    /** The most sessions held (a positive integer); the least recently used go first. */
    maxEntries: number;
    /** How long a session may be served from the cache after it was read, in ms (a positive integer). */
    maxAge: number;
  };
}

/**
 * Options of the Lucia v2 adapter (`redis()` of `@lucia-auth/adapter-session-redis/v2`): the key
 * prefixes of `@lucia-auth/adapter-session-redis` 2.1.2, with its defaults, and the limits the
 * Lucia v1 adapter has too (see {@linkcode RedisSessionAdapterOptions} for those).
 *
 * @example The defaults, spelt out
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { type RedisSessionAdapterV2Options } from "@lucia-auth/adapter-session-redis/v2";
 * import { createClient } from "redis";
 *
 * const options: RedisSessionAdapterV2Options = {
 *   session: "session", // session:<sessionId>
 *   userSessions: "user_sessions", // user_sessions:<userId>
 * };
 * assert.equal(typeof redis(createClient(), options), "function");
 * assert.throws(() => redis(createClient(), { userSession: "u" } as never), /unknown option/);
 * ```
 */
export interface RedisSessionAdapterV2Options {
  /**
   * Prefix of session keys: `${session}:${sessionId}`.
   *
   * @default {"session"}
   */
  session?: string;
  /**
   * Prefix of the per-user index keys: `${userSessions}:${userId}`.
   *
   * @default {"user_sessions"}
   */
  userSessions?: string;
  /** As {@linkcode RedisSessionAdapterOptions.deadline}. @default {undefined} (no deadline) */
  deadline?: number;
  /** As {@linkcode RedisSessionAdapterOptions.maxSessionsPerUser}. @default {undefined} (no cap) */
  maxSessionsPerUser?: number;
  /** As {@linkcode RedisSessionAdapterOptions.evictionWarning}. @default {true} */
  evictionWarning?: boolean;
  /** As {@linkcode RedisSessionAdapterOptions.durability}. @default {undefined} (off) */
  durability?: RedisSessionAdapterOptions["durability"];
  /** As {@linkcode RedisSessionAdapterOptions.cache}. @default {undefined} (off) */
  cache?: RedisSessionAdapterOptions["cache"];
}

/** The `cache` option, checked. @internal */
export interface CacheSettings {
  /** The most sessions held. */
  readonly maxEntries: number;
  /** How long an entry may be served after it was read, in ms. */
  readonly maxAge: number;
}

/** The options, checked, with their defaults applied. @internal */
export interface Settings {
  readonly keys: Keys;
  readonly deadline: number | undefined;
  readonly maxSessionsPerUser: number;
  readonly evictionWarning: boolean;
  /** `WAIT` after each revocation, or undefined (off). */
  readonly durability: Durability | undefined;
  /** The session cache, or undefined (off; absent where a store is opened without it). */
  readonly cache?: CacheSettings | undefined;
}

/** The `durability` option, checked. @internal */
export interface Durability {
  readonly replicas: number;
  readonly timeout: number;
}

function assertOnlyKeys(value: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${CANNOT_CREATE}: unknown option "${where}${key}" (known: ${
          known.map((k) => `"${where}${k}"`).join(", ")
        })`,
      );
    }
  }
}

function assertPlainObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${CANNOT_CREATE}: ${name} must be an object, got ${value === null ? "null" : typeof value}`,
    );
  }
}

function positive(value: unknown, name: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${CANNOT_CREATE}: option "${name}" must be a number, got ${typeof value}`);
  }
  if (!(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `${CANNOT_CREATE}: option "${name}" must be a positive ${
        integer ? "integer" : "finite number"
      }, got ${value}`,
    );
  }
  return value;
}

/**
 * Validates the options (a TypeError or RangeError naming what is wrong) and applies their
 * defaults.
 *
 * @internal
 */
export function resolveOptions(options: RedisSessionAdapterOptions | undefined): Settings {
  const given = checkedObject(options, ["namespaces", ...LIMITS], "");
  const namespaces = given.namespaces === undefined
    ? {}
    : checkedObject(given.namespaces, ["session", "userSession"], "namespaces.");
  return {
    keys: keysFor(
      { value: namespaces.session, name: "namespaces.session", fallback: "session" },
      { value: namespaces.userSession, name: "namespaces.userSession", fallback: "userSession" },
    ),
    ...limits(given),
  };
}

/**
 * Validates the options of the Lucia v2 adapter (a TypeError or RangeError naming what is wrong)
 * and applies their defaults, those of `@lucia-auth/adapter-session-redis` 2.1.2 for the keys.
 *
 * @internal
 */
export function resolveV2Options(options: RedisSessionAdapterV2Options | undefined): Settings {
  const given = checkedObject(options, ["session", "userSessions", ...LIMITS], "");
  return {
    keys: keysFor(
      { value: given.session, name: "session", fallback: "session" },
      { value: given.userSessions, name: "userSessions", fallback: "user_sessions" },
    ),
    ...limits(given),
  };
}

/** The options both adapters share. */
const LIMITS = [
  "deadline",
  "maxSessionsPerUser",
  "evictionWarning",
  "durability",
  "cache",
] as const;

/** An options object (or undefined: empty) with only `known` keys, as a record. */
function checkedObject(
  value: unknown,
  known: readonly string[],
  where: string,
): Record<string, unknown> {
  if (value === undefined) return {};
  assertPlainObject(value, where === "" ? "options" : `option "${where.slice(0, -1)}"`);
  assertOnlyKeys(value, known, where);
  return value;
}

/** The shared options, checked, with their defaults. */
function limits(given: Record<string, unknown>): Omit<Settings, "keys"> {
  if (given.evictionWarning !== undefined && typeof given.evictionWarning !== "boolean") {
    throw new TypeError(
      `${CANNOT_CREATE}: option "evictionWarning" must be a boolean, got ${typeof given
        .evictionWarning}`,
    );
  }
  return {
    deadline: positive(given.deadline, "deadline", false),
    maxSessionsPerUser: positive(given.maxSessionsPerUser, "maxSessionsPerUser", true) ?? 0,
    evictionWarning: (given.evictionWarning as boolean | undefined) ?? true,
    durability: durability(given.durability),
    cache: cache(given.cache),
  };
}

/** The `cache` option: `{ maxEntries, maxAge }`, both positive integers, or undefined. */
function cache(value: unknown): CacheSettings | undefined {
  if (value === undefined) return undefined;
  const given = checkedObject(value, ["maxEntries", "maxAge"], "cache.");
  for (const name of ["maxEntries", "maxAge"] as const) {
    if (given[name] === undefined) {
      throw new TypeError(`${CANNOT_CREATE}: option "cache.${name}" is missing`);
    }
  }
  return {
    maxEntries: positive(given.maxEntries, "cache.maxEntries", true) as number,
    maxAge: positive(given.maxAge, "cache.maxAge", true) as number,
  };
}

/** The `durability` option: `{ replicas, timeout }`, both positive integers, or undefined. */
function durability(value: unknown): Durability | undefined {
  if (value === undefined) return undefined;
  const given = checkedObject(value, ["replicas", "timeout"], "durability.");
  for (const name of ["replicas", "timeout"] as const) {
    if (given[name] === undefined) {
      throw new TypeError(`${CANNOT_CREATE}: option "durability.${name}" is missing`);
    }
  }
  return {
    replicas: positive(given.replicas, "durability.replicas", true) as number,
    timeout: positive(given.timeout, "durability.timeout", true) as number,
  };
}
