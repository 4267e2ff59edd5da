/**
 * The decisions of `migrate --to 2.1.2`'s scripts (`lua/migrate_back.ts`) in TypeScript, for
 * `--dry-run` and the Redis Cluster path (where the tool reads the sessions and a script on the
 * index decides nothing about them).
 *
 * @module
 */
import { idleOf, ownerOf } from "./model.ts";

/**
 * Whether a stored value is a live session of `userId` (`live_of` in `lua/migrate_back.ts`): a
 * non-empty string whose owner reads as `userId` and whose idle expiry reads as a time after
 * `now`. Only these go into 2.1.2's set.
 *
 * @internal
 */
export function isLiveOf(value: unknown, userId: string, now: number): boolean {
  if (typeof value !== "string" || value === "" || ownerOf(value) !== userId) return false;
  const idle = idleOf(value);
  return idle !== undefined && idle > now;
}

/**
 * The owner of a stored value when it is a live session (`isLiveOf` its own owner), else
 * undefined: the user whose set `migrate --to 2.1.2` makes sure lists it.
 *
 * @internal
 */
export function liveOwner(value: unknown, now: number): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const owner = ownerOf(value);
  return owner !== undefined && isLiveOf(value, owner, now) ? owner : undefined;
}
