/**
 * The decisions of `migrate`'s scripts (`lua/migrate.ts`, and the adapter's legacy conversion),
 * in TypeScript, for `--dry-run`: the same rules applied to what plain reads return, so a dry run
 * reports what a real run would do without writing anything.
 *
 * @module
 */
import { MAX_TIME } from "./util.ts";
import { idleOf, legacyEntry, ownerOf } from "./model.ts";

export { ownerOf };

/** What pass 1 does to one session key; the index is the script's reply code. @internal */
export const SESSION_ACTIONS = ["ok", "expire", "delete", "skip"] as const;

/** One of {@linkcode SESSION_ACTIONS}. @internal */
export type SessionAction = typeof SESSION_ACTIONS[number];

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
  if (typeof value !== "string" || value === "" || ownerOf(value) === undefined) return "skip";
  const idle = idleOf(value);
  if (idle === undefined) return "skip";
  if (idle <= now) return "delete";
  return expireAt >= 0 && Math.abs(expireAt - idle) <= slack ? "ok" : "expire";
}

/**
 * What the adapter's conversion of a legacy index (a LIST or SET) does with one listed id:
 * `legacyEntry` in `model.ts` (the scripts' rule), with `keep` and `ttl` both `keep`.
 *
 * @internal
 */
export function legacyEntryAction(
  value: string | null | undefined,
  userId: string,
  now: number,
): "keep" | "drop" | "dead" {
  const { fate } = legacyEntry(value, userId, now);
  return fate === "drop" || fate === "dead" ? fate : "keep";
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
