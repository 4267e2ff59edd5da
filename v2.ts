/**
 * The Redis session adapter for Lucia v2 (npm `lucia` 2.x): a drop-in, fixed replacement for
 * `@lucia-auth/adapter-session-redis` 2.1.2, on the same storage core as the Lucia v1 adapter of
 * this package's main entry.
 *
 * Same arguments as 2.1.2 (`redis(client, { session, userSessions })`), same default keys
 * (`session:<sessionId>`, `user_sessions:<userId>`), and 2.1.2's data is read in place. What 2.1.2
 * lacked: every write atomic, a duplicate id refused, an index that cleans itself and expires
 * with its longest-lived session, an `updateSession` that loses no field and never brings back a
 * deleted session, sign-out that deletes only the user's own sessions, every client (cluster
 * clients too), Deno, Bun and Node.
 *
 * @example Connect, store a session, update it, read it back, sign out
 * ```ts
 * import assert from "node:assert/strict";
 * import redis from "@lucia-auth/adapter-session-redis/v2";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 *
 * // In an app: lucia({ adapter: { user: userAdapter, session: redis(redisClient) }, … })
 * const adapter = redis(redisClient)();
 *
 * const session = {
 *   id: crypto.randomUUID(),
 *   user_id: crypto.randomUUID(),
 *   active_expires: Date.now() + 60 * 60 * 1000, // in an hour
 *   idle_expires: Date.now() + 2 * 60 * 60 * 1000, // the key expires then
 *   country: "FR", // a session attribute
 * };
 * await adapter.setSession(session);
 * await adapter.updateSession(session.id, { country: "BE" });
 * assert.deepEqual(await adapter.getSession(session.id), { ...session, country: "BE" });
 *
 * await adapter.deleteSessionsByUserId(session.user_id); // sign out everywhere
 * assert.deepEqual(await adapter.getSessionsByUserId(session.user_id), []);
 * await redisClient.quit();
 * ```
 *
 * @module
 */
export { redis, redis as default } from "./src/adapter/v2.ts";
export type {
  LuciaV2Session,
  LuciaV2SessionAdapter,
  LuciaV2SessionAdapterFunction,
} from "./src/adapter/v2.ts";
export type { RedisSessionAdapterV2Options } from "./src/core/options.ts";
export type { RedisClient } from "./src/clients/table.ts";
export type { NodeRedisClient, NodeRedisCluster } from "./src/clients/node_redis.ts";
export type { IoRedisClient, IoRedisCluster } from "./src/clients/ioredis.ts";
export type { BunRedisClient } from "./src/clients/bun_redis.ts";
export type { UpstashRedisClient } from "./src/clients/upstash.ts";
export {
  DeadlineError,
  DuplicateSessionIdError,
  DurabilityError,
  InvalidSessionDataError,
  RedisOperationError,
} from "./src/core/errors.ts";
