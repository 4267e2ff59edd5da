/**
 * A Redis session adapter for Lucia v1 (`lucia-auth` 1.x): sessions live exactly until their
 * idle expiry, each user's index of sessions cleans itself, signing a user out removes every
 * one of the user's sessions, and every operation is one atomic command to Redis.
 *
 * Keys: `session:<sessionId>` holds the session as JSON and expires at its `idle_expires`;
 * `userSession:<userId>` is a sorted set of the user's session ids scored by `idle_expires`,
 * expiring with the longest-lived of them. The namespaces are options.
 *
 * @example Connect, store a session, read it back, sign out
 * ```ts
 * import assert from "node:assert/strict";
 * import redis from "@lucia-auth/adapter-session-redis";
 * import { LuciaError } from "lucia-auth";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 *
 * // In an app: lucia({ adapter: { user: userAdapter, session: redis(redisClient) }, … })
 * const adapter = redis(redisClient)(LuciaError);
 *
 * const session = {
 *   id: crypto.randomUUID(),
 *   user_id: crypto.randomUUID(),
 *   active_expires: Date.now() + 60 * 60 * 1000, // in an hour
 *   idle_expires: Date.now() + 2 * 60 * 60 * 1000, // the key expires then
 * };
 * await adapter.setSession(session);
 * assert.deepEqual(await adapter.getSession(session.id), session);
 * assert.deepEqual(await adapter.getSessionsByUserId(session.user_id), [session]);
 *
 * await adapter.deleteSessionsByUserId(session.user_id); // sign out everywhere
 * assert.equal(await adapter.getSession(session.id), null);
 * await redisClient.quit();
 * ```
 *
 * @module
 */
export { redis, redis as default } from "./src/adapter/v1.ts";
export type {
  LuciaErrorConstructor,
  RedisSessionAdapter,
  RedisSessionAdapterFunction,
} from "./src/adapter/v1.ts";
export type { RedisClient } from "./src/clients/table.ts";
export type { NodeRedisClient, NodeRedisCluster } from "./src/clients/node_redis.ts";
export type { IoRedisClient, IoRedisCluster } from "./src/clients/ioredis.ts";
export type { BunRedisClient } from "./src/clients/bun_redis.ts";
export type { UpstashRedisClient } from "./src/clients/upstash.ts";
export {
  DeadlineError,
  DurabilityError,
  InvalidSessionDataError,
  RedisOperationError,
} from "./src/core/errors.ts";
export type { RedisSessionAdapterOptions } from "./src/core/options.ts";
export type { SessionSchema, StoredSession } from "./src/core/session.ts";
