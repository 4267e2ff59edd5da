/**
 * The adapter: Lucia v1's five session operations over Redis, each one atomic command.
 *
 * @module
 */
import { LuciaError } from "lucia-auth";
import { type RedisClient, toConnection } from "./client.ts";
import { type RedisSessionAdapterOptions, resolveKeys, withKeyPrefix } from "./options.ts";
import type { Reply } from "./connection.ts";
import { scriptRunner } from "./scripts.ts";
import {
  assertId,
  parseSession,
  serializeSession,
  type SessionSchema,
  type StoredSession,
} from "./session.ts";

/**
 * The error constructor Lucia passes to an adapter function (lucia-auth's `LuciaError`). The
 * adapter only ever constructs `AUTH_DUPLICATE_SESSION_ID` with it.
 *
 * @example lucia-auth's `LuciaError` is one
 * ```ts
 * import { LuciaError } from "lucia-auth";
 * import type { LuciaErrorConstructor } from "@lucia-auth/adapter-session-redis";
 *
 * const E: LuciaErrorConstructor = LuciaError;
 * console.assert(new E("AUTH_DUPLICATE_SESSION_ID") instanceof LuciaError);
 * ```
 */
export type LuciaErrorConstructor = new (
  message: "AUTH_DUPLICATE_SESSION_ID",
  detail?: string,
) => Error;

/**
 * The session adapter: Lucia v1's `SessionAdapter`, plus several ids for `deleteSession`.
 *
 * @example What Lucia calls, also usable directly
 * ```ts
 * import { LuciaError } from "lucia-auth";
 * import redis, { type RedisSessionAdapter } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient();
 * // await redisClient.connect();
 * const adapter: RedisSessionAdapter = redis(redisClient)(LuciaError);
 * // await adapter.setSession({ id, user_id, active_expires, idle_expires });
 * // const session = await adapter.getSession(id);
 * // await adapter.deleteSession(id1, id2); // several ids, one round trip
 * console.assert(typeof adapter.deleteSessionsByUserId === "function");
 * ```
 */
export interface RedisSessionAdapter {
  /** The session with this id, or null when there is none (or it has expired). */
  getSession(sessionId: string): Promise<StoredSession | null>;
  /** The user's live sessions, ordered by idle expiry; prunes ids whose session is gone. */
  getSessionsByUserId(userId: string): Promise<StoredSession[]>;
  /**
   * Stores a new session, expiring at its `idle_expires`, and indexes it under its user.
   * Rejects with `AUTH_DUPLICATE_SESSION_ID` if the id is taken, writing nothing.
   */
  setSession(session: SessionSchema): Promise<void>;
  /** Deletes these sessions (none, one or several ids) and their index entries. */
  deleteSession(...sessionIds: string[]): Promise<void>;
  /** Deletes all of the user's sessions and the user's index. */
  deleteSessionsByUserId(userId: string): Promise<void>;
}

/**
 * Lucia's adapter function: Lucia calls it with its `LuciaError` constructor.
 *
 * @example As lucia-auth's `adapter.session`
 * ```ts
 * import redis, { type RedisSessionAdapterFunction } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const session: RedisSessionAdapterFunction = redis(createClient());
 * // lucia({ adapter: { user: userAdapter, session }, env: "PROD" }) calls session(LuciaError).
 * console.assert(typeof session === "function");
 * ```
 */
export type RedisSessionAdapterFunction = (
  LuciaError?: LuciaErrorConstructor,
) => RedisSessionAdapter;

function asString(reply: Reply, what: string): string | null {
  if (reply === null || typeof reply === "string") return reply;
  throw new TypeError(`Unexpected reply from Redis to ${what}: ${JSON.stringify(reply)}`);
}

/**
 * Creates the Redis session adapter for Lucia v1 (`lucia-auth` 1.x).
 *
 * The client and options are checked here, up front: an unsupported client, an unknown option
 * or colliding namespaces throw a TypeError naming the problem. The client must be connected
 * before the adapter is used.
 *
 * @param redisClient A Redis client, such as a connected node-redis `createClient()`.
 * @param options Key namespaces; see {@linkcode RedisSessionAdapterOptions}.
 * @returns Lucia's adapter function, for `adapter.session`.
 *
 * @example With lucia-auth and node-redis
 * ```ts
 * import lucia from "lucia-auth";
 * import redis from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient();
 * // await redisClient.connect();
 * const sessionAdapter = redis(redisClient, {
 *   namespaces: { session: "session", userSession: "userSession" },
 * });
 * // Then: lucia({ adapter: { user: userAdapter, session: sessionAdapter }, env: "PROD" })
 * const adapter = sessionAdapter();
 * console.assert(typeof adapter.getSession === "function");
 * ```
 */
export function redis(
  redisClient: RedisClient,
  options?: RedisSessionAdapterOptions,
): RedisSessionAdapterFunction {
  const namespaced = resolveKeys(options); // Options are checked before the client.
  const connection = toConnection(redisClient);
  const keys = withKeyPrefix(namespaced, connection.keyPrefix);
  const run = scriptRunner(connection);

  // The reply is [ids, values] (a value is null where the session was gone), or [] for none.
  // A session whose user_id is not this user's (an id reused after its entry outlived its key,
  // say) is left out rather than shown to them.
  const parseUserSessions = (userId: string, reply: Reply): StoredSession[] => {
    const what = "getSessionsByUserId";
    const [ids = [], values = []] = Array.isArray(reply) ? reply : [];
    if (!Array.isArray(reply) || !Array.isArray(ids) || !Array.isArray(values)) {
      throw new TypeError(`Unexpected reply from Redis to ${what}: ${JSON.stringify(reply)}`);
    }
    const sessions: StoredSession[] = [];
    for (let i = 0; i < ids.length; i++) {
      const raw = asString(values[i] ?? null, what);
      if (raw === null) continue;
      const session = parseSession(keys.session(asString(ids[i], what) ?? ""), raw);
      if (session.user_id === userId) sessions.push(session);
    }
    return sessions;
  };

  return (E: LuciaErrorConstructor = LuciaError) => ({
    async getSession(sessionId) {
      assertId(sessionId, "the session id");
      const key = keys.session(sessionId);
      const raw = asString(await connection.send(["GET", key], key), "GET");
      return raw === null ? null : parseSession(key, raw);
    },

    async getSessionsByUserId(userId) {
      assertId(userId, "the user id");
      const index = keys.userSession(userId);
      return parseUserSessions(
        userId,
        await run("getUserSessions", [index], [keys.sessionPrefix]),
      );
    },

    async setSession(session) {
      const s = serializeSession(session);
      const stored = await run(
        "setSession",
        [keys.session(s.id), keys.userSession(s.userId)],
        [s.json, String(s.expiresAt), s.id, keys.sessionPrefix],
      );
      if (stored === 0) throw new E("AUTH_DUPLICATE_SESSION_ID");
    },

    async deleteSession(...sessionIds) {
      sessionIds.forEach((id) => assertId(id, "the session id"));
      if (sessionIds.length === 0) return;
      await run(
        "deleteSessions",
        sessionIds.map(keys.session),
        [keys.userSessionPrefix, keys.sessionPrefix, ...sessionIds],
      );
    },

    async deleteSessionsByUserId(userId) {
      assertId(userId, "the user id");
      await run("deleteUserSessions", [keys.userSession(userId)], [keys.sessionPrefix]);
    },
  });
}
