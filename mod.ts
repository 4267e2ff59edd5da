/**
 * A Redis session adapter for Lucia v1 (`lucia-auth` 1.x): sessions live exactly until their
 * idle expiry, each user's index of sessions cleans itself, signing a user out removes every
 * one of the user's sessions, and every operation is one atomic command to Redis.
 *
 * Keys: `session:<sessionId>` holds the session as JSON and expires at its `idle_expires`;
 * `userSession:<userId>` is a sorted set of the user's session ids scored by `idle_expires`,
 * expiring with the longest-lived of them. The namespaces are options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import lucia from "lucia-auth";
 * import redis from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const redisClient = createClient();
 * // await redisClient.connect();
 *
 * const session = redis(redisClient);
 * // export const auth = lucia({ adapter: { user: userAdapter, session }, env: "PROD" });
 *
 * // Ids are checked before anything is sent to Redis:
 * await assert.rejects(session().getSession(42 as unknown as string), TypeError);
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
