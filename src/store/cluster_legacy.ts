/**
 * Converting an index left by the earlier adapters (a LIST in 1.x, a SET in 2.x) into the sorted
 * set, one key at a time, for a Redis Cluster (where one script cannot read an index and its
 * sessions, which live in other slots). It follows the same rules as the single-server scripts'
 * conversion (`lua/helpers.ts`), and is safe while the application serves traffic: every session key
 * is changed only if it still holds what was read, and the index is replaced only if it is still
 * exactly what was read (otherwise the conversion starts over).
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Connection } from "../clients/connection.ts";
import { isWrongType, timeOf } from "../clients/reply.ts";
import { CLUSTER_SCRIPTS } from "../lua/cluster.ts";
import { legacyEntry, scoreFromTtl } from "../core/model.ts";
import type { Keys } from "../core/keys.ts";
import { legacyIds } from "./legacy_index.ts";
import type { RunScript } from "./script_runner.ts";

const { sessionExpire: SESSION_EXPIRE, indexReplace: INDEX_REPLACE } = CLUSTER_SCRIPTS;

/**
 * Times the conversion starts over when the index changed under it, before it gives up (the
 * operation then fails, nothing lost): each start-over means a write to the same user's index
 * during one conversion's few round trips, so ten in a row is a user under unusual contention.
 */
const CONVERSION_ATTEMPTS = 10;

/** What the conversion did. @internal */
export interface Converted {
  /** The index's type before: `list`, `set`, or `zset`/`none` when there was nothing to do. */
  readonly kind: string;
  /** Ids kept in the new index. */
  readonly kept: number;
  /** Dead sessions deleted. */
  readonly deleted: number;
  /** Session keys given their idle expiry. */
  readonly expiries: number;
}

/** A decision for one listed id. */
type Entry =
  | { id: string; key: string; score: number; value?: string; at?: number }
  | { id: string; key: string; dead: string };

/** The value of a key, or undefined when it holds no string. */
async function getString(connection: Connection, key: string): Promise<string | null | undefined> {
  try {
    const value = await connection.send(commands.get(key));
    return typeof value === "string" ? value : null;
  } catch (error) {
    if (isWrongType(error)) return undefined;
    throw error;
  }
}

/** Decides what becomes of one listed id: `legacyEntry` in `model.ts`, as the scripts do. */
async function decide(
  connection: Connection,
  key: string,
  id: string,
  userId: string,
  now: number,
): Promise<Entry | undefined> {
  const value = await getString(connection, key);
  const entry = legacyEntry(value, userId, now);
  switch (entry.fate) {
    case "drop":
      return undefined;
    case "dead":
      return { id, key, dead: value! };
    case "keep":
      return { id, key, score: entry.idle, value: value!, at: entry.idle };
    case "ttl": {
      const score = scoreFromTtl(Number(await connection.send(commands.pttl(key))), now);
      return score === undefined ? undefined : { id, key, score };
    }
  }
}

/**
 * Converts the user's index if it is a legacy list or set. Returns undefined when the index holds
 * another type (nothing done), and what was done otherwise.
 *
 * @internal
 */
export async function convertLegacyIndex(
  connection: Connection,
  keys: Keys,
  script: RunScript,
  userId: string,
): Promise<Converted | undefined> {
  const index = keys.userSession(userId);
  for (let attempt = 0; attempt < CONVERSION_ATTEMPTS; attempt++) {
    const kind = String(await connection.send(commands.type(index)));
    if (kind === "zset" || kind === "none") return { kind, kept: 0, deleted: 0, expiries: 0 };
    const ids = await legacyIds(connection, index, kind);
    if (ids === undefined) return undefined;
    const now = timeOf(await connection.send(commands.time()));
    const entries = (await Promise.all(
      [...new Set(ids)].map((id) => decide(connection, keys.session(id), id, userId, now)),
    )).filter((entry) => entry !== undefined);
    // Sessions first (each only if it still holds what was read): dead ones deleted, live ones
    // given their idle expiry. Then the index, only if it is still what was read.
    let deleted = 0, expiries = 0;
    await Promise.all(entries.map(async (entry) => {
      if ("dead" in entry) {
        deleted += Number(
          await script(SESSION_EXPIRE, {
            keys: { session_key: entry.key },
            args: { read: entry.dead, at: "0" },
          }),
        );
      } else if (entry.value !== undefined) {
        expiries += Number(
          await script(SESSION_EXPIRE, {
            keys: { session_key: entry.key },
            args: { read: entry.value, at: String(entry.at) },
          }),
        );
      }
    }));
    const kept = entries.filter((entry) => "score" in entry) as { id: string; score: number }[];
    const replaced = await script(INDEX_REPLACE, {
      keys: { index_key: index },
      args: { kind, count: String(ids.length) },
      rest: ids.concat(kept.flatMap((entry) => [String(entry.score), entry.id])),
    });
    if (replaced === 1) return { kind, kept: kept.length, deleted, expiries };
  }
  throw new Error(`The legacy index "${index}" kept changing while it was being converted`);
}
