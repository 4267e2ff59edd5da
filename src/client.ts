/**
 * The one seam between the session logic and a Redis client: each supported client is
 * recognised by its shape (nothing here imports a client), and contributes only how a raw
 * command is sent and how its replies are normalised.
 *
 * @module
 */
import { type BunRedisClient, bunRedisConnection, isBunRedisClient } from "./bun_redis.ts";
import {
  type IoRedisClient,
  ioRedisConnection,
  isIoRedisClient,
  isIoRedisCluster,
} from "./ioredis.ts";
import {
  isNodeRedisClient,
  isNodeRedisCluster,
  type NodeRedisClient,
  nodeRedisConnection,
} from "./node_redis.ts";
import type { Reply } from "./reply.ts";
import { isUpstashRedisClient, upstashConnection, type UpstashRedisClient } from "./upstash.ts";

export type { Reply };

/**
 * What the session logic needs from a Redis client: send one raw command, get its reply.
 *
 * Replies are normalised by each client's connection to `null`, `string`, `number`, or arrays
 * of those (binary strings decoded as UTF-8). Redis error replies reject the promise with the
 * client's own error, unchanged.
 *
 * @internal
 */
export interface Connection {
  /**
   * Sends `command` (its name first, then its arguments, all strings). `key` is the first key the
   * command touches: a cluster client routes by it. Keys are sent exactly as given.
   */
  send(command: string[], key: string): Promise<Reply>;
  /**
   * A prefix the client itself puts before every key (ioredis's `keyPrefix`), or `""`. Every key
   * name the adapter sends, and every key prefix it passes to a script as an argument, must
   * start with it: keys then land at `${keyPrefix}${namespace}:${id}`.
   */
  readonly keyPrefix: string;
}

/**
 * The Redis clients `redis()` accepts, each described by the few members the adapter relies
 * on, so that any version of them fits without this module importing them:
 *
 * - node-redis: `createClient()` from npm `redis` 4, 5 or 6 ({@linkcode NodeRedisClient});
 * - ioredis: `new Redis()` from npm `ioredis` 5 or 6 ({@linkcode IoRedisClient});
 * - Bun's `RedisClient` from `"bun"`, Bun >= 1.2.9 ({@linkcode BunRedisClient});
 * - Upstash: `new Redis()` from npm `@upstash/redis` ({@linkcode UpstashRedisClient}).
 *
 * @example Any supported client
 * ```ts
 * import redis, { type RedisClient } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const client: RedisClient = createClient(); // or ioredis, Bun's RedisClient, Upstash
 * console.assert(typeof redis(client) === "function");
 * ```
 */
export type RedisClient = NodeRedisClient | IoRedisClient | BunRedisClient | UpstashRedisClient;

/** Names the supported clients, for the errors that reject anything else. @internal */
export const SUPPORTED_CLIENTS = "a node-redis client (`createClient()` from npm `redis` 4, 5 " +
  "or 6), an ioredis client (`new Redis()` from npm `ioredis` 5 or 6), Bun's built-in " +
  "`RedisClient` (`new RedisClient()`, Bun >= 1.2.9) or an Upstash client (`new Redis()` from " +
  "npm `@upstash/redis`)";

const PREFIX = "Cannot create the Redis session adapter";

/**
 * Detects the client's kind by its shape and returns a {@linkcode Connection} to it. Nothing is
 * sent to Redis. Throws a TypeError for a cluster client and for anything unsupported.
 *
 * @internal
 */
export function toConnection(client: unknown): Connection {
  const cluster = isIoRedisCluster(client)
    ? "an ioredis Cluster"
    : isNodeRedisCluster(client)
    ? "a node-redis cluster (createCluster())"
    : undefined;
  if (cluster !== undefined) {
    throw new TypeError(
      `${PREFIX}: cluster clients are not supported yet (got ${cluster}). Pass a client for ` +
        `a single Redis server: ${SUPPORTED_CLIENTS}.`,
    );
  }
  if (isIoRedisClient(client)) return ioRedisConnection(client);
  if (isNodeRedisClient(client)) return nodeRedisConnection(client);
  if (isBunRedisClient(client)) return bunRedisConnection(client);
  if (isUpstashRedisClient(client)) return upstashConnection(client);
  throw new TypeError(
    `${PREFIX}: the client is not a supported Redis client (got ${describe(client)}). ` +
      `Pass ${SUPPORTED_CLIENTS}.`,
  );
}

/** A short description of a value for error messages. @internal */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return "a function";
  if (typeof value !== "object") return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" && name !== "Object"
    ? `an instance of ${name}`
    : `an ${typeof value}`;
}
