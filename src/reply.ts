/**
 * Replies from Redis clients, normalised to one shape.
 *
 * @module
 */

import { describe } from "./_util.ts";
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
