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
import { CANNOT_CREATE, isObject } from "./_util.ts";
import type { ClientKind, Connection } from "./connection.ts";
import { normalizeReply } from "./reply.ts";

/**
 * The part of an ioredis client (`new Redis()` from npm `ioredis` 5 or 6) the adapter uses.
 *
 * @example
 * ```ts
 * import redis, { type IoRedisClient } from "@lucia-auth/adapter-session-redis";
 * import { Redis } from "ioredis";
 *
 * const client = new Redis({ lazyConnect: true }); // connects on first use without lazyConnect
 * const ioredisClient: IoRedisClient = client;
 * console.assert(typeof redis(ioredisClient) === "function");
 * client.disconnect();
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

/** True for an ioredis `Cluster` (`new Cluster()` from npm `ioredis`). @internal */
export function isIoRedisCluster(client: unknown): boolean {
  return isObject(client) && client.isCluster === true && typeof client.call === "function";
}

/** True for a single-server ioredis client (`new Redis()`, including Sentinel setups). */
function isIoRedisClient(client: unknown): client is IoRedisClient {
  return isObject(client) && client.isCluster === false && typeof client.call === "function" &&
    typeof client.sendCommand === "function" && isObject(client.options);
}

/** The positions of the keys in the commands the adapter sends. */
function keyPositions(command: string[]): number[] {
  const name = command[0]?.toUpperCase();
  if (name === "GET") return [1];
  if (name === "EVAL" || name === "EVALSHA") {
    const count = Number(command[2]);
    return Array.from({ length: count }, (_, i) => 3 + i);
  }
  throw new Error(
    `The ioredis connection cannot send ${name} with a keyPrefix: its key positions are unknown`,
  );
}

/**
 * The command with `prefix` taken off each key, so that ioredis, which puts it back on, sends
 * the exact key names the adapter chose.
 */
function withoutKeyPrefix(command: string[], prefix: string): string[] {
  const out = command.slice();
  for (const i of keyPositions(command)) {
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

/** A connection over a single-server ioredis client. */
function ioRedisConnection(client: IoRedisClient): Connection {
  const keyPrefix = client.options.keyPrefix ?? "";
  if (typeof keyPrefix !== "string") {
    throw new TypeError(
      `${CANNOT_CREATE}: the ioredis client's keyPrefix must be a string, got ${typeof keyPrefix}`,
    );
  }
  return {
    keyPrefix,
    send: async (command) => {
      if ((client.options.keyPrefix ?? "") !== keyPrefix) {
        throw new Error(
          `The ioredis client's keyPrefix changed from "${keyPrefix}" to ` +
            `"${client.options.keyPrefix ?? ""}" after the session adapter was created`,
        );
      }
      const [name, ...args] = keyPrefix === "" ? command : withoutKeyPrefix(command, keyPrefix);
      return normalizeReply(await client.call(name, ...args));
    },
  };
}

/** ioredis, in the table of supported clients. @internal */
export const ioredis: ClientKind = {
  name: "ioredis",
  howToMake: "an ioredis client (`new Redis()` from npm `ioredis` 5 or 6)",
  npm: { name: "ioredis", versions: "^5.0.0 || ^6.0.0" },
  detect: isIoRedisClient,
  connect: (client) => ioRedisConnection(client as IoRedisClient),
};
