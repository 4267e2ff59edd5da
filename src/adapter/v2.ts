/**
 * The adapter for Lucia v2 (npm `lucia` 2.x): a drop-in replacement for
 * `@lucia-auth/adapter-session-redis` 2.1.2 (`redis(client, { session, userSessions })`), on the
 * same storage core as the Lucia v1 adapter.
 *
 * @module
 */
import { DuplicateSessionIdError, RedisOperationError } from "../core/errors.ts";
import type { RedisClient } from "../clients/table.ts";
import { openStore, readSession, readUserSessions } from "./shared.ts";
import { type RedisSessionAdapterV2Options, resolveV2Options } from "../core/options.ts";
import { assertId, parseSession, serializeSession } from "../core/session.ts";

/**
 * A session as Lucia v2 stores it (`lucia`'s `SessionSchema`): expiries are Unix times in
 * milliseconds, and the session attributes (`Attributes`: your `Lucia.DatabaseSessionAttributes`)
 * sit beside the four fields, stored and returned as given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LuciaV2Session } from "@lucia-auth/adapter-session-redis/v2";
 *
 * const session: LuciaV2Session<{ country: string }> = {
 *   id: "session-id",
 *   user_id: "user-id",
 *   active_expires: Date.now() + 60 * 60 * 1000,
 *   idle_expires: Date.now() + 2 * 60 * 60 * 1000,
 *   country: "FR", // a session attribute
 * };
 * assert.equal(session.country, "FR");
 * ```
 */
export type LuciaV2Session<Attributes extends object = Record<string, unknown>> = {
  /** The session id. */
  id: string;
  /** The id of the user the session belongs to. */
  user_id: string;
  /** When the active period ends (Unix time, ms). */
  active_expires: number;
  /** When the idle period ends (Unix time, ms); the session's key expires then. */
  idle_expires: number;
} & Attributes;

/**
 * The session adapter Lucia v2 uses (`lucia`'s `SessionAdapter`).
 *
 * @example Updating a session: what changed is merged into what is stored, in one step
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { type LuciaV2SessionAdapter } from "@lucia-auth/adapter-session-redis/v2";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const adapter: LuciaV2SessionAdapter = redis(redisClient)();
 *
 * const session = {
 *   id: crypto.randomUUID(),
 *   user_id: crypto.randomUUID(),
 *   active_expires: Date.now() + 60 * 60 * 1000,
 *   idle_expires: Date.now() + 2 * 60 * 60 * 1000,
 *   country: "FR",
 * };
 * await adapter.setSession(session);
 * const later = Date.now() + 3 * 60 * 60 * 1000;
 * await adapter.updateSession(session.id, { idle_expires: later });
 * assert.deepEqual(await adapter.getSession(session.id), { ...session, idle_expires: later });
 *
 * await adapter.deleteSession(session.id);
 * assert.equal(await adapter.getSession(session.id), null);
 * await redisClient.quit();
 * ```
 */
export interface LuciaV2SessionAdapter<Attributes extends object = Record<string, unknown>> {
  /** The session with this id, or null when there is none (or it has expired). */
  getSession(sessionId: string): Promise<LuciaV2Session<Attributes> | null>;
  /** The user's live sessions, ordered by idle expiry. */
  getSessionsByUserId(userId: string): Promise<LuciaV2Session<Attributes>[]>;
  /**
   * Stores a new session, expiring at its `idle_expires`, and indexes it under its user. Rejects
   * with a `DuplicateSessionIdError` if the id is taken by another session, writing nothing;
   * storing the very same session again succeeds.
   */
  setSession(session: LuciaV2Session<Attributes>): Promise<void>;
  /**
   * Changes some fields of a session (its attributes, or its expiries when Lucia renews it),
   * atomically: no concurrent update loses a field, and a session deleted meanwhile stays
   * deleted. Does nothing when there is no such session. `id` and `user_id` cannot change.
   */
  updateSession(
    sessionId: string,
    partialSession: Partial<LuciaV2Session<Attributes>>,
  ): Promise<void>;
  /** Deletes the session and its index entry. */
  deleteSession(sessionId: string): Promise<void>;
  /** Deletes all of the user's sessions (those whose `user_id` is the user's) and the index. */
  deleteSessionsByUserId(userId: string): Promise<void>;
}

/**
 * Lucia v2's `InitializeAdapter<SessionAdapter>`: Lucia calls it once with its `LuciaError`
 * (which this adapter does not need). `Attributes` are your `Lucia.DatabaseSessionAttributes`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { type LuciaV2SessionAdapterFunction } from "@lucia-auth/adapter-session-redis/v2";
 * import { createClient } from "redis";
 *
 * const session: LuciaV2SessionAdapterFunction = redis(createClient());
 * // lucia({ adapter: { user: userAdapter, session }, env: "PROD" }) calls session(LuciaError).
 * assert.equal(typeof session().updateSession, "function");
 * ```
 */
export type LuciaV2SessionAdapterFunction<Attributes extends object = Record<string, unknown>> = (
  LuciaError?: unknown,
) => LuciaV2SessionAdapter<Attributes>;

/**
 * How often updateSession merges again when the session keeps changing under it. Each round one
 * of the concurrent updates of a session wins, so N of them at once all finish within N rounds.
 */
const ATTEMPTS = 100;

/**
 * Creates the Redis session adapter for Lucia v2 (`lucia` 2.x), for `adapter.session`.
 *
 * A drop-in for `@lucia-auth/adapter-session-redis` 2.1.2: the same arguments, the same default
 * keys (`session:<sessionId>`, `user_sessions:<userId>`), and its data is read in place: its
 * indexes (sets) are converted to sorted sets by the first write that meets them, and the
 * sessions it stored get their exact idle expiry then. It adds what 2.1.2 lacked: atomic writes,
 * a refused duplicate id, an index that cleans itself and expires, an atomic `updateSession`.
 *
 * @param redisClient A Redis client (any the Lucia v1 adapter accepts: node-redis, ioredis, Bun's
 * `RedisClient`, Upstash, and cluster clients).
 * @param options Key prefixes (2.1.2's `{ session, userSessions }`) and the limits of
 * {@linkcode RedisSessionAdapterV2Options}.
 * @typeParam Attributes Your `Lucia.DatabaseSessionAttributes`: the session attributes the
 * sessions carry (inferred where the result is typed as lucia's `InitializeAdapter`).
 * @returns Lucia v2's adapter function, for `adapter.session`.
 *
 * @example With lucia 2.x and node-redis, 2.1.2's options
 * ```ts
 * import assert from "node:assert/strict";
 * import redis from "@lucia-auth/adapter-session-redis/v2";
 * import { DuplicateSessionIdError } from "@lucia-auth/adapter-session-redis/v2";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const sessionAdapter = redis(redisClient, { session: "session", userSessions: "user_sessions" });
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
 * assert.deepEqual(await adapter.getSessionsByUserId(session.user_id), [session]);
 * // An id another session holds is refused, nothing written (2.1.2 overwrote the session):
 * const other = { ...session, user_id: crypto.randomUUID() };
 * await assert.rejects(adapter.setSession(other), DuplicateSessionIdError);
 * // Bad input is refused before anything is sent:
 * await assert.rejects(adapter.getSession(7 as unknown as string), TypeError);
 *
 * await adapter.deleteSessionsByUserId(session.user_id);
 * await redisClient.quit();
 * ```
 */
export function redis<Attributes extends object = Record<string, unknown>>(
  redisClient: RedisClient,
  options?: RedisSessionAdapterV2Options,
): LuciaV2SessionAdapterFunction<Attributes> {
  const settings = resolveV2Options(options); // Options are checked before the client.
  const { keys, store } = openStore(redisClient, settings);

  const updateSession = async (
    sessionId: string,
    partial: Partial<LuciaV2Session<Attributes>>,
  ) => {
    assertId(sessionId, "the session id");
    if (typeof partial !== "object" || partial === null) {
      throw new TypeError(`Cannot update a session: expected an object, got ${typeof partial}`);
    }
    if (Object.hasOwn(partial, "id") && partial.id !== sessionId) {
      throw new TypeError("Cannot update a session: its id cannot change");
    }
    let raw = await store.getSession(sessionId);
    for (let attempt = 0; raw !== null && attempt < ATTEMPTS; attempt++) {
      const current = parseSession(keys.sessionForLog(sessionId), raw);
      if (Object.hasOwn(partial, "user_id") && partial.user_id !== current.user_id) {
        throw new TypeError("Cannot update a session: its user_id cannot change");
      }
      const outcome = await store.updateSession(
        raw,
        serializeSession({ ...current, ...partial, id: current.id, user_id: current.user_id }),
      );
      if (outcome === true) return;
      raw = outcome; // What the session is now (null: deleted meanwhile, so nothing to update).
    }
    if (raw !== null) {
      throw new RedisOperationError(
        "updateSession",
        keys.sessionForLog(sessionId),
        new Error(`the session changed under ${ATTEMPTS} updates in a row`),
      );
    }
  };

  return () => ({
    getSession: async (sessionId) =>
      await readSession(store, keys, sessionId) as LuciaV2Session<Attributes> | null,
    getSessionsByUserId: async (userId) =>
      await readUserSessions(store, keys, userId) as LuciaV2Session<Attributes>[],
    async setSession(session) {
      const record = serializeSession(session);
      if (!await store.setSession(record)) {
        throw new DuplicateSessionIdError(keys.sessionForLog(record.id));
      }
    },
    updateSession,
    async deleteSession(sessionId) {
      assertId(sessionId, "the session id");
      await store.deleteSession([sessionId]);
    },
    async deleteSessionsByUserId(userId) {
      assertId(userId, "the user id");
      await store.deleteSessionsByUserId(userId);
    },
  });
}
