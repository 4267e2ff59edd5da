/**
 * The decisions of `migrate`'s scripts (`migrate_lua.ts`, and the adapter's legacy conversion),
 * in TypeScript, for `--dry-run`: the same rules applied to what plain reads return, so a dry run
 * reports what a real run would do without writing anything.
 *
 * @module
 */
import { MAX_TIME } from "../_util.ts";

/** What pass 1 does to one session key; the index is the script's reply code. @internal */
export const SESSION_ACTIONS = ["ok", "expire", "delete", "skip"] as const;

/** One of {@linkcode SESSION_ACTIONS}. @internal */
export type SessionAction = typeof SESSION_ACTIONS[number];

/** Lua's `tonumber` on a number or a string; undefined for anything else. */
function luaNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isNaN(n) ? undefined : n;
}

/** The parsed JSON object of a stored value, or undefined. */
function parsed(value: string): Record<string, unknown> | unknown[] | undefined {
  try {
    const decoded = JSON.parse(value);
    return typeof decoded === "object" && decoded !== null ? decoded : undefined;
  } catch {
    return undefined;
  }
}

/** The idle expiry of a session, rounded up, when it is a time Lucia can hold. */
function idleOf(session: Record<string, unknown> | unknown[]): number | undefined {
  const idle = luaNumber((session as Record<string, unknown>).idle_expires);
  return idle !== undefined && idle > 0 && idle <= MAX_TIME ? Math.ceil(idle) : undefined;
}

/** The `user_id` of a stored session when it is a string (`owner_of` in the scripts). */
export function ownerOf(value: string): string | undefined {
  const owner = (parsed(value) as Record<string, unknown> | undefined)?.user_id;
  return typeof owner === "string" ? owner : undefined;
}

/**
 * Pass 1's decision for a session key (`sessionFix`): `value` is what GET returned (undefined for
 * a key holding no string), `expireAt` its PEXPIRETIME (-1: none), known to `slack` ms.
 *
 * @internal
 */
export function sessionAction(
  value: string | null | undefined,
  expireAt: number,
  now: number,
  slack = 0,
): SessionAction {
  if (typeof value !== "string" || value === "") return "skip";
  const session = parsed(value);
  if (session === undefined || typeof (session as { user_id?: unknown }).user_id !== "string") {
    return "skip";
  }
  const idle = idleOf(session);
  if (idle === undefined) return "skip";
  if (idle <= now) return "delete";
  return expireAt >= 0 && Math.abs(expireAt - idle) <= slack ? "ok" : "expire";
}

/**
 * What the adapter's conversion of a legacy index (a LIST or SET) does with one listed id:
 * `drop` the entry (the session is gone, a tombstone, or another user's), `dead` (its idle expiry
 * has passed: the session is deleted and the entry dropped), or `keep` it (a live session of the
 * user, or a value that cannot be read as a session).
 *
 * @internal
 */
export function legacyEntryAction(
  value: string | null | undefined,
  userId: string,
  now: number,
): "keep" | "drop" | "dead" {
  if (typeof value !== "string" || value === "") return "drop";
  const session = parsed(value);
  // As the Lua reads it: a JSON object's user_id (null is a value there), or nothing at all.
  const owner = session === undefined || Array.isArray(session) ? undefined : session.user_id;
  if (owner !== undefined && owner !== false && owner !== userId) return "drop";
  const idle = owner === undefined || owner === false ? undefined : idleOf(session!);
  if (idle === undefined) return "keep";
  return idle <= now ? "dead" : "keep";
}

/**
 * Whether pass 2 drops a sorted-set index entry: its score (idle expiry) has passed, its session
 * is a tombstone or another user's, or (on a single server only, where no login is ever half
 * written) its session is gone or would be deleted by pass 1.
 *
 * @internal
 */
export function dropsEntry(
  value: string | null | undefined,
  score: number,
  userId: string,
  now: number,
  cluster: boolean,
): boolean {
  if (score < now) return true;
  if (typeof value !== "string") return !cluster;
  if (value === "") return true;
  const owner = ownerOf(value);
  if (owner !== undefined && owner !== userId) return true;
  return !cluster && sessionAction(value, -1, now) === "delete";
}

/** Whether pass 2 gives a sorted-set index without an expiry (`ttl` -1) its latest score. @internal */
export function fixesIndexExpiry(ttl: number, scores: readonly number[]): boolean {
  const last = scores.reduce((a, b) => Math.max(a, b), -Infinity);
  return ttl === -1 && last > 0 && last <= MAX_TIME;
}
