/**
 * The key names: the session and index keys built from the namespaces, and a key shortened
 * for an error message.
 *
 * @module
 */
import { CANNOT_CREATE } from "./util.ts";
import { shortId } from "./errors.ts";
import { isWellFormed } from "./session.ts";

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
  /** A session key fit for an error message: the id shortened. */
  sessionForLog(sessionId: string): string;
}

function namespace(value: unknown, name: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `${CANNOT_CREATE}: option "${name}" must be a non-empty string, got ${
        typeof value === "string" ? "an empty string" : typeof value
      }`,
    );
  }
  if (!isWellFormed(value)) {
    throw new TypeError(
      `${CANNOT_CREATE}: option "${name}" contains a lone UTF-16 surrogate, which Redis would ` +
        "receive as U+FFFD (so two different namespaces could name the same keys)",
    );
  }
  return value;
}

/**
 * Checks two namespaces and returns the key names they give. They collide when one key could
 * belong to both: `a:` being a prefix of `b:` (as with `s` and `s:u`, where `s:u:1` would be
 * session `u:1` and user `1`'s index).
 *
 * @internal
 */
export function keysFor(
  session: { value: unknown; name: string; fallback: string },
  userSession: { value: unknown; name: string; fallback: string },
): Keys {
  const sessionPrefix = namespace(session.value, session.name, session.fallback) + ":";
  const userSessionPrefix = namespace(userSession.value, userSession.name, userSession.fallback) +
    ":";
  if (sessionPrefix.startsWith(userSessionPrefix) || userSessionPrefix.startsWith(sessionPrefix)) {
    throw new TypeError(
      `${CANNOT_CREATE}: namespaces "${sessionPrefix.slice(0, -1)}" (${session.name}) and "${
        userSessionPrefix.slice(0, -1)
      }" (${userSession.name}) collide: a key could belong to both. Use namespaces where neither ` +
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
    sessionForLog: (sessionId) => sessionPrefix + shortId(sessionId),
  };
}

/** The key of a Redis reply, shortened for a message when it is a session key. @internal */
export function keyForLog(keys: Keys, key: string): string {
  return key.startsWith(keys.sessionPrefix)
    ? keys.sessionForLog(key.slice(keys.sessionPrefix.length))
    : key;
}
