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
import { CLUSTER_NO_SUBSCRIBER, isObject, onClientEnd } from "../core/util.ts";
import { keySlot } from "./key_slot.ts";
import type { Command, Connection, Subscriber, SubscriberEvents } from "./connection.ts";
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
    noSubscriber: CLUSTER_NO_SUBSCRIBER,
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
    subscriber: (events) => nodeRedisSubscriber(client as unknown as Duplicable, events),
  };
}

/** What a dedicated connection uses of a node-redis client (`createClient()`, 4, 5 or 6). */
interface Duplicable {
  readonly isOpen: boolean;
  readonly options?: { socket?: Record<string, unknown> };
  duplicate(overrides: Record<string, unknown>): DuplicateClient;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The duplicate: a node-redis client of the same version. */
interface DuplicateClient {
  connect(): Promise<unknown>;
  sendCommand(args: string[]): Promise<unknown>;
  subscribe(channel: string, listener: (message: unknown) => void): Promise<unknown>;
  unref(): void;
  /** node-redis 5 and 6 (`disconnect` is its deprecated alias there). */
  destroy?(): void;
  /** node-redis 4. */
  disconnect(): Promise<unknown> | void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** A Pub/Sub payload as node-redis hands it over: null, a string, or (invalidations) a list. */
function payloadOf(message: unknown): string[] | null {
  if (message === null || message === undefined) return null;
  const list = Array.isArray(message) ? message : [message];
  return list.map((item) => typeof item === "string" ? item : String(normalizeReply(item)));
}

/**
 * A dedicated connection over a duplicate of a node-redis client: RESP2 (node-redis 5 and 6 may
 * speak RESP3, where Redis would push invalidations outside Pub/Sub), not in legacy mode, without
 * node-redis's RESP3-only features (its client-side cache, invalidation events, maintenance
 * notices), never reconnecting by itself (the cache opens
 * a new one, and sets tracking up on it again), and unref'd: it never keeps the process alive.
 * Closed with the client it duplicates (its `end` event).
 */
function nodeRedisSubscriber(
  client: Duplicable,
  events: SubscriberEvents,
): Promise<Subscriber> | undefined {
  if (!client.isOpen) return undefined;
  const duplicate = client.duplicate({
    RESP: 2,
    legacyMode: false,
    clientSideCache: undefined,
    emitInvalidate: undefined,
    maintNotifications: "disabled", // node-redis 6's RESP3-only maintenance notices.
    socket: { ...client.options?.socket, reconnectStrategy: false },
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    stopWaiting();
    try {
      if (duplicate.destroy) duplicate.destroy();
      else void Promise.resolve(duplicate.disconnect()).catch(() => {});
    } catch {
      // Already closed.
    }
  };
  const fail = (error: unknown) => {
    if (closed) return;
    close();
    events.closed(error);
  };
  const stopWaiting = onClientEnd(client, () => fail(new Error("the client was closed")));
  duplicate.on("error", fail);
  duplicate.on("end", () => fail(new Error("the connection ended")));
  const subscriber: Subscriber = {
    send: async (args) => normalizeReply(await duplicate.sendCommand(args)),
    subscribe: async (channel) => {
      await duplicate.subscribe(channel, (message) => {
        if (!closed) events.message(channel, payloadOf(message));
      });
    },
    close,
  };
  return duplicate.connect().then(
    () => {
      duplicate.unref();
      return subscriber;
    },
    (error) => {
      fail(error);
      throw error;
    },
  );
}

/** How to recognise the client, and talk to it: its row in `CLIENTS` (src/clients/table.ts). @internal */
export const nodeRedis = { detect: isNodeRedisClient, connect: nodeRedisConnection };

/** How to recognise a node-redis cluster, and talk to it: its row in `CLIENTS`. @internal */
export const nodeRedisCluster = { detect: isNodeRedisCluster, connect: nodeRedisClusterConnection };
