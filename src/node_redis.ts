/**
 * node-redis (npm `redis` 4, 5 and 6): `client.sendCommand(args)`.
 *
 * @module
 */
import type { Connection } from "./client.ts";
import { normalizeReply } from "./reply.ts";

/** The part of a node-redis client (`createClient()` from npm `redis` 4, 5 or 6) the adapter uses. */
export interface NodeRedisClient {
  /** Sends a raw command: node-redis's `client.sendCommand(["GET", "key"])`. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** True for a non-cluster node-redis client. @internal */
export function isNodeRedisClient(client: unknown): client is NodeRedisClient {
  if (typeof client !== "object" || client === null) return false;
  const c = client as Record<string, unknown>;
  return typeof c.sendCommand === "function" && typeof c.connect === "function" &&
    typeof c.duplicate === "function";
}

/** A {@linkcode Connection} over a node-redis client. @internal */
export function nodeRedisConnection(client: NodeRedisClient): Connection {
  return {
    send: async (command) => normalizeReply(await client.sendCommand(command)),
  };
}
