/**
 * The adapter for Lucia v1: its five session operations over Redis, each one atomic command on
 * a single server.
 *
 * @module
 */
// @ts-types="./lucia_auth.d.ts"
import { LuciaError } from "lucia-auth";
import type { RedisClient } from "../clients/table.ts";
import { openStore, readSession, readUserSessions } from "./shared.ts";
import { type RedisSessionAdapterOptions, resolveOptions } from "../core/options.ts";
import {
  assertId,
  serializeSession,
  type SessionSchema,
  type StoredSession,
} from "../core/session.ts";

/**
 * The error constructor Lucia passes to an adapter function (lucia-auth's `LuciaError`). The
 * adapter only ever constructs `AUTH_DUPLICATE_SESSION_ID` with it.
 *
 * @example lucia-auth's `LuciaError` is one
 * ```ts
 * import assert from "node:assert/strict";
 * import { LuciaError } from "lucia-auth";
 * import type { LuciaErrorConstructor } from "@lucia-auth/adapter-session-redis";
 *
 * const E: LuciaErrorConstructor = LuciaError;
 * const error = new E("AUTH_DUPLICATE_SESSION_ID");
 * assert.ok(error instanceof LuciaError);
 * assert.equal(error.message, "AUTH_DUPLICATE_SESSION_ID");
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
 * import assert from "node:assert/strict";
 * import { LuciaError } from "lucia-auth";
 * import redis, { type RedisSessionAdapter } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const adapter: RedisSessionAdapter = redis(redisClient)(LuciaError);
 *
 * const user_id = crypto.randomUUID();
 * const hour = 60 * 60 * 1000;
 * const [a, b] = [1, 2].map((n) => ({
 *   id: crypto.randomUUID(),
 *   user_id,
 *   active_expires: Date.now() + n * hour,
 *   idle_expires: Date.now() + 2 * n * hour,
 * }));
 * await adapter.setSession(a);
 * await adapter.setSession(b);
 * // A user's sessions come in the order they expire:
 * assert.deepEqual(await adapter.getSessionsByUserId(user_id), [a, b]);
 * // A taken id is refused, and the stored session is left as it was:
 * await assert.rejects(adapter.setSession({ ...b, id: a.id }), LuciaError);
 *
 * await adapter.deleteSession(a.id, b.id); // several ids, one round trip
 * assert.deepEqual(await adapter.getSessionsByUserId(user_id), []);
 * await redisClient.quit();
 * ```
 */
export interface RedisSessionAdapter {
  /** The session with this id, or null when there is none (or it has expired). */
  getSession(sessionId: string): Promise<StoredSession | null>;
  /** The user's live sessions, ordered by idle expiry. */
  getSessionsByUserId(userId: string): Promise<StoredSession[]>;
  /**
   * Stores a new session, expiring at its `idle_expires`, and indexes it under its user.
   * Rejects with `AUTH_DUPLICATE_SESSION_ID` if the id is taken by another session, writing
   * nothing; storing the very same session again succeeds (a retry is safe).
   */
  setSession(session: SessionSchema): Promise<void>;
  /** Deletes these sessions (none, one or several ids) and their index entries. */
  deleteSession(...sessionIds: string[]): Promise<void>;
  /** Deletes all of the user's sessions (those whose `user_id` is the user's) and the index. */
  deleteSessionsByUserId(userId: string): Promise<void>;
}

/**
 * Lucia's adapter function: Lucia calls it with its `LuciaError` constructor.
 *
 * @example As lucia-auth's `adapter.session`
 * ```ts
 * import assert from "node:assert/strict";
 * import { LuciaError } from "lucia-auth";
 * import redis, { type RedisSessionAdapterFunction } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const session: RedisSessionAdapterFunction = redis(createClient());
 * // lucia({ adapter: { user: userAdapter, session }, env: "PROD" }) calls session(LuciaError).
 * const operations = [
 *   "deleteSession",
 *   "deleteSessionsByUserId",
 *   "getSession",
 *   "getSessionsByUserId",
 *   "setSession",
 * ];
 * assert.deepEqual(Object.keys(session(LuciaError)).sort(), operations);
 * assert.deepEqual(Object.keys(session()).sort(), operations);
 * ```
 */
export type RedisSessionAdapterFunction = (
  LuciaError?: LuciaErrorConstructor,
) => RedisSessionAdapter;

/**
 * Creates the Redis session adapter for Lucia v1 (`lucia-auth` 1.x).
 *
 * The client and options are checked here, up front: an unsupported client, an unknown option
 * or colliding namespaces throw a TypeError naming the problem. The client must be connected
 * before the adapter is used; nothing is sent to Redis until then.
 *
 * @param redisClient A Redis client, such as a connected node-redis `createClient()`.
 * @param options Key namespaces and limits; see {@linkcode RedisSessionAdapterOptions}.
 * @returns Lucia's adapter function, for `adapter.session`.
 *
 * @example With lucia-auth and node-redis, keys under namespaces of your own
 * ```ts
 * import assert from "node:assert/strict";
 * import redis from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const sessionAdapter = redis(redisClient, {
 *   namespaces: { session: "app:session", userSession: "app:userSession" },
 * });
 * // In an app: lucia({ adapter: { user: userAdapter, session: sessionAdapter }, … })
 * const adapter = sessionAdapter();
 *
 * const session = {
 *   id: crypto.randomUUID(),
 *   user_id: crypto.randomUUID(),
 *   active_expires: Date.now() + 60 * 60 * 1000,
 *   idle_expires: Date.now() + 2 * 60 * 60 * 1000,
 * };
 * await adapter.setSession(session);
 * // The session's JSON, under the session namespace, expiring at idle_expires:
 * const stored = await redisClient.get(`app:session:${session.id}`);
 * assert.deepEqual(JSON.parse(stored ?? "null"), session);
 * assert.equal(await redisClient.pExpireTime(`app:session:${session.id}`), session.idle_expires);
 *
 * // Bad input is refused before anything is sent:
 * await assert.rejects(adapter.setSession({ ...session, id: "" }), TypeError);
 *
 * await adapter.deleteSession(session.id);
 * await redisClient.quit();
 * ```
 */
export function redis(
  redisClient: RedisClient,
  options?: RedisSessionAdapterOptions,
): RedisSessionAdapterFunction {
  const settings = resolveOptions(options); // Options are checked before the client.
  const { keys, store } = openStore(redisClient, settings);

  return (E: LuciaErrorConstructor = LuciaError) => ({
    getSession: (sessionId) => readSession(store, keys, sessionId),
    getSessionsByUserId: (userId) => readUserSessions(store, keys, userId),

    async setSession(session) {
      const s = serializeSession(session);
      const stored = await store.setSession(s);
      if (!stored) throw new E("AUTH_DUPLICATE_SESSION_ID");
    },

    async deleteSession(...sessionIds) {
      sessionIds.forEach((id) => assertId(id, "the session id"));
      if (sessionIds.length > 0) await store.deleteSession(sessionIds);
    },

    async deleteSessionsByUserId(userId) {
      assertId(userId, "the user id");
      await store.deleteSessionsByUserId(userId);
    },
  });
}
