/**
 * ioredis (npm `ioredis` 5 and 6): `client.call(command, ...args)`.
 *
 * ioredis puts its `keyPrefix` option in front of the keys of every command, but not in front
 * of plain arguments. The scripts build session keys from prefixes passed as plain arguments,
 * so the adapter takes the prefix into its own key names instead (see
 * `Connection.keyPrefix`), and this connection takes it off the key arguments again
 * just before ioredis puts it back on. Keys land at `${keyPrefix}${namespace}:${id}`.
 *
 * @module
 */
import { CANNOT_CREATE, CLUSTER_NO_SUBSCRIBER, isObject, onClientEnd } from "../core/util.ts";
import type { Command, Connection, Subscriber, SubscriberEvents } from "./connection.ts";
import { keySlot } from "./key_slot.ts";
import { normalizeReply } from "./reply.ts";

/**
 * The part of an ioredis client (`new Redis()` from npm `ioredis` 5 or 6) the adapter uses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import redis, { type IoRedisClient } from "@lucia-auth/adapter-session-redis";
 * import { Redis } from "ioredis";
 *
 * const client = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
 * const ioredisClient: IoRedisClient = client;
 * const adapter = redis(ioredisClient)();
 * const userId = crypto.randomUUID();
 * assert.deepEqual(await adapter.getSessionsByUserId(userId), []);
 * await client.quit();
 * ```
 */
export interface IoRedisClient {
  /** Sends a raw command: ioredis's `client.call("GET", "key")`. */
  call(command: string, ...args: string[]): Promise<unknown>;
  /** The client's options; `keyPrefix` is put before every key the client sends. */
  readonly options: { readonly keyPrefix?: string | undefined };
  /** `false` for a single-server client, `true` for an ioredis `Cluster`. */
  readonly isCluster: boolean;
}

/**
 * The part of an ioredis `Cluster` (`new Cluster()` from npm `ioredis` 5 or 6) the adapter uses:
 * the same as a single-server client's, with `isCluster` true. ioredis routes each command by
 * its keys.
 *
 * @example An ioredis Cluster (illustration, not run: it needs a Redis Cluster)
 * ```ts ignore
 * import redis, { type IoRedisCluster } from "@lucia-auth/adapter-session-redis";
 * import { Cluster } from "ioredis";
 *
 * const cluster = new Cluster([{ host: "127.0.0.1", port: 7000 }]);
 * const ioredisCluster: IoRedisCluster = cluster;
 * const adapter = redis(ioredisCluster)(); // The cluster path: one key per command.
 * await adapter.getSessionsByUserId("user-id");
 * ```
 */
export interface IoRedisCluster extends IoRedisClient {
  /** `true` for an ioredis `Cluster` (typed `boolean` by ioredis). */
  readonly isCluster: boolean;
}

/** True for an ioredis `Cluster` (`new Cluster()` from npm `ioredis`). */
function isIoRedisCluster(client: unknown): client is IoRedisCluster {
  return isObject(client) && client.isCluster === true && typeof client.call === "function" &&
    isObject(client.options);
}

/** True for a single-server ioredis client (`new Redis()`, including Sentinel setups). */
function isIoRedisClient(client: unknown): client is IoRedisClient {
  return isObject(client) && client.isCluster === false && typeof client.call === "function" &&
    typeof client.sendCommand === "function" && isObject(client.options);
}

/**
 * The command with `prefix` taken off each of its keys (the arguments its key positions name,
 * which are the ones ioredis's own table of commands prefixes), so that ioredis, which puts it
 * back on, sends the exact key names the adapter chose.
 */
function withoutKeyPrefix(command: Command, prefix: string): string[] {
  const out = command.args.slice();
  for (const i of command.keys) {
    const key = out[i];
    if (typeof key !== "string" || !key.startsWith(prefix)) {
      throw new Error(
        `The key "${key}" is outside the ioredis client's keyPrefix "${prefix}": ioredis would ` +
          `send it as "${prefix}${key}"`,
      );
    }
    out[i] = key.slice(prefix.length);
  }
  return out;
}

/**
 * ioredis attaches the command to its errors (`error.command = { name, args }`), and the
 * adapter's arguments carry session ids and sessions, which would end up wherever the error is
 * logged. They are replaced by how many there were.
 */
function withoutArguments(error: unknown): unknown {
  if (isObject(error) && isObject(error.command) && Array.isArray(error.command.args)) {
    error.command = {
      name: error.command.name,
      args: [`(${error.command.args.length} arguments, left out: they hold session ids)`],
    };
  }
  return error;
}

/** What the adapter reads of an ioredis `Cluster`'s own map, to route a command without keys. */
interface ClusterMap {
  /** By slot: the addresses (`host:port`) of the nodes serving it, the primary first. */
  readonly slots: readonly (readonly string[] | undefined)[];
  /** The client's connection to each primary. */
  nodes(
    role: "master",
  ): { options: { host?: string; port?: number }; call: IoRedisClient["call"] }[];
}

function isClusterMap(client: unknown): client is ClusterMap {
  return isObject(client) && Array.isArray(client.slots) && typeof client.nodes === "function";
}

/** The address of the primary serving `key`'s slot, by the Cluster's own map. */
function primaryOf(client: IoRedisClient, key: string): string | undefined {
  return isClusterMap(client) ? client.slots[keySlot(key)]?.[0] : undefined;
}

/**
 * Sends a command without keys to the primary serving `route`'s slot, over the very connection
 * the Cluster sends that slot's writes on (ioredis sends a command without keys to a random
 * node, and its `call()` has no way to name one).
 */
async function callRouted(client: IoRedisClient, route: string, args: string[]) {
  const address = primaryOf(client, route);
  const node = address === undefined || !isClusterMap(client)
    ? undefined
    : client.nodes("master").find((n) => `${n.options.host}:${n.options.port}` === address);
  if (node === undefined) {
    throw new Error(
      `The ioredis Cluster knows no primary for slot ${keySlot(route)}, so ${
        args[0]
      } cannot be sent to the node that took the write`,
    );
  }
  const [name, ...rest] = args;
  return await node.call(name, ...rest);
}

/** A connection over an ioredis client or Cluster. */
function ioRedisConnection(client: IoRedisClient): Connection {
  const keyPrefix = client.options.keyPrefix ?? "";
  if (typeof keyPrefix !== "string") {
    throw new TypeError(
      `${CANNOT_CREATE}: the ioredis client's keyPrefix must be a string, got ${typeof keyPrefix}`,
    );
  }
  const routed = client.isCluster;
  return {
    keyPrefix,
    cluster: client.isCluster,
    ...(routed
      ? { primaryOf: (key: string) => primaryOf(client, key), noSubscriber: CLUSTER_NO_SUBSCRIBER }
      : { subscriber: (events: SubscriberEvents) => ioRedisSubscriber(client, events) }),
    send: async (command) => {
      if ((client.options.keyPrefix ?? "") !== keyPrefix) {
        throw new Error(
          `The ioredis client's keyPrefix changed from "${keyPrefix}" to ` +
            `"${client.options.keyPrefix ?? ""}" after the session adapter was created`,
        );
      }
      const [name, ...args] = keyPrefix === ""
        ? command.args
        : withoutKeyPrefix(command, keyPrefix);
      try {
        // A command routed by a key it does not carry (`WAIT`) has no key ioredis could route by.
        if (routed && command.route !== undefined && command.keys.length === 0) {
          return normalizeReply(await callRouted(client, command.route, [name, ...args]));
        }
        return normalizeReply(await client.call(name, ...args));
      } catch (error) {
        throw withoutArguments(error);
      }
    },
  };
}

/** What a dedicated connection uses of an ioredis client (`new Redis()`, 5 or 6). */
interface Duplicable {
  readonly status: string;
  duplicate(overrides: Record<string, unknown>): DuplicateClient;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The duplicate: an ioredis client of the same version. */
interface DuplicateClient {
  connect(): Promise<unknown>;
  call(command: string, ...args: string[]): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  readonly stream?: { unref?(): void };
}

/** A Pub/Sub payload as ioredis's `messageBuffer` event gives it: null, bytes, or a list. */
function payloadOf(message: unknown): string[] | null {
  if (message === null || message === undefined) return null;
  const list = Array.isArray(message) ? message : [message];
  return list.map((item) => String(normalizeReply(item)));
}

/**
 * A dedicated connection over a duplicate of an ioredis client: RESP2 (ioredis 6 speaks RESP3
 * by default, and drops the invalidation pushes Redis sends a RESP3 connection), connected when
 * asked, never reconnecting nor resubscribing by itself (the cache opens a new one, and sets
 * tracking up on it again), without an offline queue, and unref'd: it never keeps the process
 * alive. Messages are read from `messageBuffer`, whose payload keeps an invalidation's list of
 * keys apart (`message` joins them with commas). Closed with the client it duplicates (its `end`
 * event).
 */
function ioRedisSubscriber(
  client: IoRedisClient,
  events: SubscriberEvents,
): Promise<Subscriber> | undefined {
  const source = client as unknown as Duplicable;
  if (source.status !== "ready") return undefined;
  const duplicate = source.duplicate({
    protocol: 2,
    lazyConnect: true,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    autoResubscribe: false,
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    stopWaiting();
    duplicate.disconnect();
  };
  const fail = (error: unknown) => {
    if (closed) return;
    close();
    events.closed(error);
  };
  const stopWaiting = onClientEnd(source, () => fail(new Error("the client was closed")));
  duplicate.on("error", fail);
  duplicate.on("close", () => fail(new Error("the connection closed")));
  duplicate.on("messageBuffer", (channel, message) => {
    if (!closed) events.message(String(normalizeReply(channel)), payloadOf(message));
  });
  const subscriber: Subscriber = {
    send: async ([name, ...args]) => normalizeReply(await duplicate.call(name, ...args)),
    subscribe: async (channel) => void await duplicate.subscribe(channel),
    close,
  };
  return duplicate.connect().then(
    () => {
      duplicate.stream?.unref?.();
      return subscriber;
    },
    (error) => {
      fail(error);
      throw error;
    },
  );
}

/** How to recognise the client, and talk to it: its row in `CLIENTS` (src/clients/table.ts). @internal */
export const ioredis = { detect: isIoRedisClient, connect: ioRedisConnection };

/** How to recognise an ioredis Cluster, and talk to it: its row in `CLIENTS`. @internal */
export const ioredisCluster = { detect: isIoRedisCluster, connect: ioRedisConnection };
