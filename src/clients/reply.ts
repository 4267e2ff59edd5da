/**
 * Replies from Redis clients, normalised to one shape.
 *
 * @module
 */

import { describe } from "../core/util.ts";
import type { Reply } from "./connection.ts";

const decoder = new TextDecoder();

/**
 * Turns what a client returned into a {@linkcode Reply}: binary strings are decoded as UTF-8,
 * bigints become numbers, and nested arrays are normalised too.
 *
 * @internal
 */
export function normalizeReply(value: unknown): Reply {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array) return decoder.decode(value);
  if (Array.isArray(value)) return value.map(normalizeReply);
  throw new TypeError(`Unexpected reply from the Redis client: ${describe(value)}`);
}

/**
 * What a reply looks like, for an error message, without its content (which may hold session ids
 * and stored sessions): `null`, `a number`, `a string of 40 characters`, `an array of 3`.
 *
 * @internal
 */
export function replyShape(reply: Reply): string {
  if (reply === null) return "null";
  if (typeof reply === "number") return "a number";
  if (typeof reply === "string") return `a string of ${reply.length} characters`;
  return `an array of ${reply.length}`;
}

/**
 * `ZRANGE … WITHSCORES` as `[member, score]` pairs, from either protocol: RESP2 lists them flat
 * (`[id, score, …]`), RESP3 as pairs (`[[id, score], …]`). Anything but an array gives none.
 *
 * @internal
 */
export function scored(reply: Reply): [string, number][] {
  const flat = Array.isArray(reply) ? reply.flat() : [];
  return Array.from({ length: flat.length >> 1 }, (_, i) => [
    String(flat[2 * i]),
    Number(flat[2 * i + 1]),
  ]);
}

/**
 * True for the error Redis answers a command on a key of another type with (`WRONGTYPE …`), as
 * every client puts it in the error's message.
 *
 * @internal
 */
export function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.includes("WRONGTYPE");
}

/**
 * A script's failure reply (`{false, key, message}` in Lua: a check failed and nothing was
 * written) as its key and message; undefined for any other reply. Known by its shape alone, three
 * values with nil first, which no script answers otherwise: a failure whose key or message came
 * back as another type (a number, say) is still a failure, never taken for a success.
 *
 * @internal
 */
export function failureOf(reply: Reply): { key: string; message: string } | undefined {
  if (!Array.isArray(reply) || reply.length !== 3 || reply[0] !== null) return undefined;
  return { key: String(reply[1]), message: String(reply[2]) };
}

/**
 * The server's clock from its `TIME` reply (`[seconds, microseconds]`), in Unix milliseconds:
 * the clock that expires its keys, so the one every idle expiry is compared with.
 *
 * @internal
 */
export function timeOf(reply: Reply): number {
  if (!Array.isArray(reply) || reply.length !== 2) {
    throw new TypeError(`Unexpected reply from Redis to TIME: ${replyShape(reply)}`);
  }
  return Number(reply[0]) * 1000 + Math.floor(Number(reply[1]) / 1000);
}

/**
 * A field of an `INFO` reply (its `name:value` lines), or undefined when the reply has none.
 *
 * @internal
 */
export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*?)\\r?$`, "m").exec(info)?.[1];
}
