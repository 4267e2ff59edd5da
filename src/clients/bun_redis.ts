/**
 * Bun's built-in Redis client (`import { RedisClient } from "bun"`, Bun >= 1.2.9):
 * `client.send(command, args)`.
 *
 * It speaks RESP3 and connects on first use. The adapter's replies (nulls, integers, bulk
 * strings, flat arrays) arrive as they do from the other clients; Redis error replies reject
 * with Bun's own `Error` (`code: "ERR_REDIS_SERVER_ERROR"`), message intact.
 *
 * @module
 */
import { isObject } from "../core/util.ts";
import type { Connection } from "./connection.ts";
import { normalizeReply } from "./reply.ts";

/**
 * The part of Bun's `RedisClient` (`import { RedisClient } from "bun"`, Bun >= 1.2.9) the
 * adapter uses. On Bun, the adapter needs no npm Redis client at all.
 *
 * @example On Bun (illustration, not run: the `bun` module exists only on Bun)
 * ```ts ignore
 * import redis, { type BunRedisClient } from "@lucia-auth/adapter-session-redis";
 * import { RedisClient } from "bun";
 *
 * const client: BunRedisClient = new RedisClient(process.env.REDIS_URL);
 * const adapter = redis(client)(); // Bun's client connects on first use.
 * await adapter.getSessionsByUserId("user-id");
 * ```
 */
export interface BunRedisClient {
  /** Sends a raw command: Bun's `client.send("GET", ["key"])`. */
  send(command: string, args: string[]): Promise<unknown>;
  /** Whether the client is connected now (it connects on first use). */
  readonly connected: boolean;
}

/** True for Bun's `RedisClient`. */
function isBunRedisClient(client: unknown): client is BunRedisClient {
  return isObject(client) && typeof client.send === "function" &&
    typeof client.connected === "boolean" && typeof client.getBuffer === "function";
}

/** A connection over Bun's `RedisClient`. */
function bunRedisConnection(client: BunRedisClient): Connection {
  return {
    keyPrefix: "",
    cluster: false,
    noSubscriber: "Bun's RedisClient speaks RESP3 only, and a subscribed one does not hand over " +
      "the invalidations Redis pushes to a RESP3 connection (seen with Bun 1.4)",
    send: async ({ args: [name, ...args] }) => normalizeReply(await client.send(name, args)),
  };
}

/** How to recognise the client, and talk to it: its row in `CLIENTS` (src/clients/table.ts). @internal */
export const bunRedis = { detect: isBunRedisClient, connect: bunRedisConnection };
