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
import { isObject } from "../core/util.ts";
import { keySlot } from "./key_slot.ts";
import type { Command, Connection } from "./connection.ts";
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
 * const client = createClient({ url: process.env.REDIS_URL });
 * const nodeRedisClient: NodeRedisClient = client;
 * const adapter = redis(nodeRedisClient)();
 * assert.equal(client.isOpen, false); // Creating the adapter does not connect: you do.
 * await client.connect();
 * assert.deepEqual(await adapter.getSessionsByUserId(crypto.randomUUID()), []);
 * await client.quit();
 * ```
 */
export interface NodeRedisClient {
  /** Sends a raw command: node-redis's `client.sendCommand(["GET", "key"])`. */
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * The part of a node-redis cluster (`createCluster()` from npm `redis` 4, 5 or 6) the adapter
 * uses. Its `sendCommand` routes by the key it is given first (the arguments are not parsed).
 *
 * @example A node-redis cluster (illustration, not run: it needs a Redis Cluster)
 * ```ts ignore
 * import redis, { type NodeRedisCluster } from "@lucia-auth/adapter-session-redis";
 * import { createCluster } from "redis";
 *
 * const cluster = createCluster({ rootNodes: [{ url: "redis://127.0.0.1:7000" }] });
 * await cluster.connect();
 * const nodeRedisCluster: NodeRedisCluster = cluster;
 * const adapter = redis(nodeRedisCluster)(); // The cluster path: one key per command.
 * await adapter.getSessionsByUserId("user-id");
 * ```
 */
export interface NodeRedisCluster {
  /** Sends a raw command to the primary of `firstKey`'s slot. */
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  /** The primary serving a slot (marks the type: only a cluster has it). */
  getSlotMaster(slot: number): unknown;
}

/** True for a node-redis cluster (`createCluster()`, npm `redis` 4, 5 or 6). */
function isNodeRedisCluster(client: unknown): client is NodeRedisCluster {
  return isObject(client) && typeof client.sendCommand === "function" &&
    typeof client.getSlotMaster === "function" && typeof client.nodeClient === "function";
}

/** Keys of 16 slots spread over the cluster, to find keys that two different primaries serve. */
const PROBES = Array.from("abcdefghijklmnop", (tag) => `{${tag}}`);

/** The address of the primary serving `key`'s slot, by the client's own slot map. */
function primaryOf(cluster: NodeRedisCluster, key: string): string | undefined {
  const master = cluster.getSlotMaster(keySlot(key));
  return isObject(master) && typeof master.address === "string" ? master.address : undefined;
}

/**
 * node-redis 4 and 5 learn that a primary has failed over only from a `MOVED` reply, and while
 * every command for the dead primary's slots waits in (or is refused by) that primary's own
 * connection, none ever gets one: the client stays stuck for good. This sends each primary, by
 * the client's map, one `EXISTS` of a key another primary serves; a live one answers `MOVED`,
 * and the client reads the cluster's map again. (node-redis 6 finds the new primary by itself.)
 */
function nudge(cluster: NodeRedisCluster): void {
  const seen = new Set<string>();
  for (const route of PROBES) {
    const routed = primaryOf(cluster, route);
    const other = PROBES.find((key) => primaryOf(cluster, key) !== routed);
    if (routed === undefined || other === undefined || seen.has(routed)) continue;
    seen.add(routed);
    cluster.sendCommand(route, true, ["EXISTS", other]).catch(() => {});
  }
}

/**
 * The key a cluster routes `command` by: its `route` (a key written, for `WAIT`), else its first
 * key; undefined (any node) for none or `""`.
 */
function routingKey(command: Command): string | undefined {
  const i = command.keys[0];
  const key = command.route ?? (i === undefined ? undefined : command.args[i]);
  return key === "" ? undefined : key;
}

/** True for a failure of the connection (as opposed to an error reply from Redis). */
function connectionFailed(error: unknown): boolean {
  const name = error instanceof Error ? error.constructor.name : "";
  const message = error instanceof Error ? error.message : "";
  return /Offline|Closed|Socket|Disconnect|Timeout|Abort/.test(name) ||
    /ECONNREFUSED|ECONNRESET|EPIPE|offline|closed/i.test(message);
}

/**
 * The least time between two nudges to re-read the cluster's map, in ms: a failover takes the
 * cluster seconds, so a few re-reads per second see the new map soon, while a burst of stalled
 * operations (every one in flight when a primary went away) costs one `CLUSTER SLOTS`, not one each.
 */
const NUDGE_INTERVAL_MS = 200;

/**
 * A connection over a node-redis cluster: every command routed by its first key; on node-redis 4
 * and 5, a failed connection or a stalled operation nudges the client to read the cluster's map
 * again (at most every {@linkcode NUDGE_INTERVAL_MS}).
 */
function nodeRedisClusterConnection(cluster: NodeRedisCluster): Connection {
  const findsFailoversItself = typeof (cluster as unknown as Record<string, unknown>)
    .getNodeClientForKey === "function"; // node-redis 6
  let nudged = 0;
  const stalled = () => {
    if (findsFailoversItself || Date.now() - nudged < NUDGE_INTERVAL_MS) return;
    nudged = Date.now();
    nudge(cluster);
  };
  return {
    keyPrefix: "",
    cluster: true,
    stalled,
    primaryOf: (key) => primaryOf(cluster, key),
    send: async (command) => {
      try {
        return normalizeReply(await cluster.sendCommand(routingKey(command), false, command.args));
      } catch (error) {
        if (connectionFailed(error)) stalled();
        throw error;
      }
    },
  };
}

/**
 * True for a single-server node-redis client. ioredis clients also have `sendCommand`,
 * `connect` and `duplicate`, so the `isOpen` flag (node-redis only) tells them apart.
 */
function isNodeRedisClient(client: unknown): client is NodeRedisClient {
  if (!isObject(client) || typeof client.getSlotMaster === "function") return false;
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
    cluster: false,
    send: async ({ args }) => normalizeReply(await target.sendCommand(args)),
  };
}

/** How to recognise the client, and talk to it: its row in `CLIENTS` (src/clients/table.ts). @internal */
export const nodeRedis = { detect: isNodeRedisClient, connect: nodeRedisConnection };

/** How to recognise a node-redis cluster, and talk to it: its row in `CLIENTS`. @internal */
export const nodeRedisCluster = { detect: isNodeRedisCluster, connect: nodeRedisClusterConnection };
