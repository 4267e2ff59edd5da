/**
 * node-redis (npm `redis` 4, 5 and 6): `client.sendCommand(args)`.
 *
 * Replies need no special handling for RESP3 (node-redis 6's default, node-redis 5 with
 * `RESP: 3`): the adapter's commands only get nulls, integers, bulk strings and flat arrays of
 * them back, which RESP2 and RESP3 clients return alike. Lua's `false` arrives as null either
 * way, because scripts reply in RESP2 unless they call `redis.setresp(3)`. A client with a
 * `typeMapping` that turns bulk strings into Buffers is decoded as UTF-8 by `normalizeReply`.
 *
 * @module
 */
import { isObject } from "./_util.ts";
import type { Connection } from "./connection.ts";
import { normalizeReply } from "./reply.ts";

/**
 * The part of a node-redis client (`createClient()` from npm `redis` 4, 5 or 6) the adapter uses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { type NodeRedisClient } from "@lucia-auth/adapter-session-redis";
 * import { createClient } from "redis";
 *
 * const client = createClient({ url: "redis://127.0.0.1:6379" });
 * const nodeRedisClient: NodeRedisClient = client;
 * redis(nodeRedisClient);
 * assert.equal(client.isOpen, false); // Creating the adapter does not connect: you do.
 * // await client.connect();
 * ```
 */
export interface NodeRedisClient {
  /** Sends a raw command: node-redis's `client.sendCommand(["GET", "key"])`. */
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * True for a node-redis cluster (`createCluster()`, npm `redis` 4, 5 or 6). Its `sendCommand`
 * takes a routing key and a read-only flag before the arguments, and it routes by slot.
 *
 * @internal
 */
export function isNodeRedisCluster(client: unknown): boolean {
  if (!isObject(client) || typeof client.sendCommand !== "function") return false;
  return typeof client.getSlotMaster === "function" || typeof client.nodeClient === "function";
}

/**
 * True for a single-server node-redis client. ioredis clients also have `sendCommand`,
 * `connect` and `duplicate`, so the `isOpen` flag (node-redis only) tells them apart.
 */
function isNodeRedisClient(client: unknown): client is NodeRedisClient {
  if (!isObject(client) || isNodeRedisCluster(client)) return false;
  return typeof client.sendCommand === "function" && typeof client.connect === "function" &&
    typeof client.duplicate === "function" && typeof client.isOpen === "boolean";
}

/**
 * A connection over a node-redis client. A node-redis 4 client created with
 * `legacyMode: true` has a callback-style `sendCommand`; its promise API is `client.v4`.
 *
 * @internal
 */
function nodeRedisConnection(client: NodeRedisClient): Connection {
  const c = client as { options?: { legacyMode?: unknown }; v4?: NodeRedisClient };
  // `client.v4` throws unless the client is in legacy mode: look at the option first.
  const target = c.options?.legacyMode === true && isObject(c.v4) ? c.v4 : client;
  return {
    keyPrefix: "",
    send: async (command) => normalizeReply(await target.sendCommand(command)),
  };
}

/** How to recognise the client, and talk to it: its row in `CLIENTS` (src/client.ts). @internal */
export const nodeRedis = { detect: isNodeRedisClient, connect: nodeRedisConnection };
