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
import type { Connection } from "./connection.ts";
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
 * const client = new Redis({ lazyConnect: true }); // connects on first use without lazyConnect
 * const ioredisClient: IoRedisClient = client;
 * redis(ioredisClient);
 * assert.equal(client.status, "wait"); // Creating the adapter sends nothing.
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
  if (name === "SORT_RO") {
    // The key, and each GET pattern but `#` (ioredis puts the prefix before those too).
    return [1, ...command.flatMap((arg, i) => command[i - 1] === "GET" && arg !== "#" ? [i] : [])];
  }
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
      try {
        return normalizeReply(await client.call(name, ...args));
      } catch (error) {
        throw withoutArguments(error);
      }
    },
  };
}

/** How to recognise the client, and talk to it: its row in `CLIENTS` (src/client.ts). @internal */
export const ioredis = { detect: isIoRedisClient, connect: ioRedisConnection };
