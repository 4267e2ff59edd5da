/**
 * The one seam between the session logic and a Redis client.
 *
 * @module
 */
import { isNodeRedisClient, type NodeRedisClient, nodeRedisConnection } from "./node_redis.ts";
import type { Reply } from "./reply.ts";

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
   * command touches: a cluster client routes by it.
   */
  send(command: string[], key: string): Promise<Reply>;
}

/**
 * The Redis clients `redis()` accepts, described by the few members it uses, so that any
 * version of them fits without this module importing them.
 */
export type RedisClient = NodeRedisClient;

/** Names the supported clients, for the error that rejects anything else. @internal */
export const SUPPORTED_CLIENTS = "a connected node-redis client (`createClient()` from npm " +
  "`redis` 4, 5 or 6)";

/**
 * Detects the client's kind by its shape and returns a {@linkcode Connection} to it.
 *
 * @internal
 */
export function toConnection(client: unknown): Connection {
  if (isNodeRedisClient(client)) return nodeRedisConnection(client);
  throw new TypeError(
    `Cannot create the Redis session adapter: the client is not a supported Redis client ` +
      `(got ${describe(client)}). Pass ${SUPPORTED_CLIENTS}.`,
  );
}

/** A short description of a value for error messages. @internal */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object" && typeof value !== "function") return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" && name !== "Object"
    ? `an instance of ${name}`
    : `an ${typeof value}`;
}
