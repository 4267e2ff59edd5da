/**
 * The supported Redis clients, as a table: each entry (in its client's own module) says how to
 * recognise the client by its shape and how to talk to it. Nothing here imports a client. The
 * error that refuses anything else lists the table.
 *
 * To add a client: write its module (an exported structural type of the few members the adapter
 * calls, and a {@linkcode ClientKind} entry), add the entry to {@linkcode CLIENTS} and its type
 * to {@linkcode RedisClient}, then export the type from `mod.ts` (see the README's
 * "Contributing").
 *
 * @module
 */
import { CANNOT_CREATE, describe } from "../core/util.ts";
import { bunRedis, type BunRedisClient } from "./bun_redis.ts";
import type { ClientKind, Connection } from "./connection.ts";
import { ioredis, type IoRedisClient, type IoRedisCluster, ioredisCluster } from "./ioredis.ts";
import {
  nodeRedis,
  type NodeRedisClient,
  type NodeRedisCluster,
  nodeRedisCluster,
} from "./node_redis.ts";
import { upstash, type UpstashRedisClient } from "./upstash.ts";

/**
 * The Redis clients `redis()` accepts, each described by the few members the adapter relies
 * on, so that any version of them fits without this module importing them:
 *
 * - node-redis: `createClient()` from npm `redis` 4, 5 or 6 ({@linkcode NodeRedisClient}), or
 *   `createCluster()` for a Redis Cluster ({@linkcode NodeRedisCluster});
 * - ioredis: `new Redis()` from npm `ioredis` 5 or 6 ({@linkcode IoRedisClient}), or
 *   `new Cluster()` ({@linkcode IoRedisCluster});
 * - Bun's `RedisClient` from `"bun"`, Bun >= 1.2.9 ({@linkcode BunRedisClient});
 * - Upstash: `new Redis()` from npm `@upstash/redis` ({@linkcode UpstashRedisClient}).
 *
 * @example Any supported client
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { type RedisClient } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const client: RedisClient = createClient(); // or ioredis, Bun's RedisClient, Upstash
 * assert.equal(typeof redis(client), "function");
 * // Anything else is refused up front, with the list of supported clients:
 * assert.throws(() => redis("redis://localhost:6379" as never), /not a supported Redis client/);
 * ```
 */
export type RedisClient =
  | NodeRedisClient
  | NodeRedisCluster
  | IoRedisClient
  | IoRedisCluster
  | BunRedisClient
  | UpstashRedisClient;

/**
 * The supported clients, one row each. Their shapes do not overlap, so the order only sets how the
 * error below lists them. The table of clients in docs/clients.md names every row (`scripts/checks/docs.ts`
 * checks it), and the npm package's optional peer dependencies are the rows' `npm`.
 *
 * @internal
 */
// deno-fmt-ignore
export const CLIENTS: readonly ClientKind[] = [
  { name: "node-redis", npm: "redis@^4.0.0 || ^5.0.0 || ^6.0.0", howToMake: "a node-redis client (`createClient()` from npm `redis` 4, 5 or 6)", ...nodeRedis },
  { name: "node-redis cluster", howToMake: "a node-redis cluster (`createCluster()`)", ...nodeRedisCluster },
  { name: "ioredis", npm: "ioredis@^5.0.0 || ^6.0.0", howToMake: "an ioredis client (`new Redis()` from npm `ioredis` 5 or 6)", ...ioredis },
  { name: "ioredis Cluster", howToMake: "an ioredis `Cluster`", ...ioredisCluster },
  { name: "Bun's built-in `RedisClient`", howToMake: "Bun's built-in `RedisClient` (`new RedisClient()`, Bun >= 1.2.9)", ...bunRedis },
  { name: "Upstash", npm: "@upstash/redis@^1.20.0", howToMake: "an Upstash client (`new Redis()` from npm `@upstash/redis`)", ...upstash },
];

const SUPPORTED = CLIENTS.map((kind) => kind.howToMake);
const LISTED = `${SUPPORTED.slice(0, -1).join(", ")} or ${SUPPORTED.at(-1)}`;

/**
 * Detects the client's kind by its shape and returns a {@linkcode Connection} to it. Nothing is
 * sent to Redis. Throws a TypeError for anything unsupported.
 *
 * @internal
 */
export function toConnection(client: unknown): Connection {
  const kind = CLIENTS.find((kind) => kind.detect(client));
  if (kind === undefined) {
    throw new TypeError(
      `${CANNOT_CREATE}: the client is not a supported Redis client (got ${describe(client)}). ` +
        `Pass ${LISTED}.`,
    );
  }
  return kind.connect(client as never);
}
