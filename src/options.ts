/**
 * The adapter's options, their defaults, their validation, and the key names they give.
 *
 * @module
 */
import { CANNOT_CREATE } from "./_util.ts";

/**
 * Options for {@linkcode redis}.
 *
 * @example Keys under an application prefix
 * ```ts
 * import redis, { type RedisSessionAdapterOptions } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * // Keys become `app:session:<sessionId>` and `app:userSession:<userId>`.
 * const options: RedisSessionAdapterOptions = {
 *   namespaces: { session: "app:session", userSession: "app:userSession" },
 * };
 * const session = redis(createClient(), options);
 * console.assert(typeof session === "function");
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
}

/** The key names the adapter uses, built from the namespaces. @internal */
export interface Keys {
  /** `${session}:` */
  readonly sessionPrefix: string;
  /** `${userSession}:` */
  readonly userSessionPrefix: string;
  /** The key holding a session. */
  session(sessionId: string): string;
  /** The key holding a user's index of session ids. */
  userSession(userId: string): string;
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

function namespace(value: unknown, name: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `${CANNOT_CREATE}: option "namespaces.${name}" must be a non-empty string, got ${
        typeof value === "string" ? "an empty string" : typeof value
      }`,
    );
  }
  return value;
}

/**
 * Validates the options (TypeError naming what is wrong) and returns the key names they give.
 *
 * Two namespaces collide when one key could belong to both: `a:` being a prefix of `b:` (as
 * with `s` and `s:u`, where `s:u:1` would be session `u:1` and user `1`'s index).
 *
 * @internal
 */
export function resolveKeys(options: RedisSessionAdapterOptions | undefined): Keys {
  let namespaces: Record<string, unknown> = {};
  if (options !== undefined) {
    assertPlainObject(options, "options");
    assertOnlyKeys(options, ["namespaces"], "");
    if (options.namespaces !== undefined) {
      assertPlainObject(options.namespaces, 'option "namespaces"');
      assertOnlyKeys(options.namespaces, ["session", "userSession"], "namespaces.");
      namespaces = options.namespaces;
    }
  }
  const sessionPrefix = namespace(namespaces.session, "session", "session") + ":";
  const userSessionPrefix = namespace(namespaces.userSession, "userSession", "userSession") +
    ":";
  if (sessionPrefix.startsWith(userSessionPrefix) || userSessionPrefix.startsWith(sessionPrefix)) {
    throw new TypeError(
      `${CANNOT_CREATE}: namespaces "${sessionPrefix.slice(0, -1)}" (session) and "${
        userSessionPrefix.slice(0, -1)
      }" (userSession) collide: a key could belong to both. Use namespaces where neither ` +
        `followed by ":" starts the other.`,
    );
  }
  return keyNames(sessionPrefix, userSessionPrefix);
}

/**
 * The same key names behind a client's own key prefix (ioredis's `keyPrefix`), which goes before
 * the namespaces in key names and in the prefixes the scripts build key names from alike.
 *
 * @internal
 */
export function withKeyPrefix(keys: Keys, keyPrefix: string): Keys {
  return keyPrefix === ""
    ? keys
    : keyNames(keyPrefix + keys.sessionPrefix, keyPrefix + keys.userSessionPrefix);
}

function keyNames(sessionPrefix: string, userSessionPrefix: string): Keys {
  return {
    sessionPrefix,
    userSessionPrefix,
    session: (sessionId) => sessionPrefix + sessionId,
    userSession: (userId) => userSessionPrefix + userId,
  };
}
