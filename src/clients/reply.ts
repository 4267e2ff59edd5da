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
