/**
 * The store on a Redis Cluster: a session key and its user's index hash to different slots, so
 * every operation is made of one-key steps, in an order that keeps every live session in its
 * owner's index whatever fails between two steps (ARCHITECTURE.md, "The cluster path's order of
 * steps", gives the order of each operation and why).
 *
 * @module
 */
import { CLUSTER_SCRIPTS as S } from "../lua/cluster.ts";
import * as commands from "../clients/commands.ts";
import type { Reply } from "../clients/connection.ts";
import { failureOf, isWrongType, scored } from "../clients/reply.ts";
import { convertLegacyIndex } from "./cluster_legacy.ts";
import { idleOf, ownerOf } from "../core/model.ts";
import { legacyIds } from "./legacy_index.ts";
import { scriptRunner } from "./script_runner.ts";
import type { SessionRecord } from "../core/session.ts";
import { checkReply, type Store, type StoreContext, stringOrNull, updated } from "./store.ts";

/**
 * Commands in flight at once for one operation (a user with 20,000 sessions, say): enough to keep
 * every primary busy, few enough that one operation does not fill the client's queue.
 */
const IN_FLIGHT = 500;

/** `work` for each item, at most IN_FLIGHT at a time; the results in order. */
async function inBatches<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += IN_FLIGHT) {
    out.push(...await Promise.all(items.slice(i, i + IN_FLIGHT).map(work)));
  }
  return out;
}

/**
 * The store for a Redis Cluster client: every command touches one key and is routed by it.
 *
 * @internal
 */
export function clusterStore(
  { connection, keys, run, maxSessionsPerUser, confirm }: StoreContext,
): Store {
  const script = scriptRunner(connection);
  const cap = String(maxSessionsPerUser);

  /**
   * Runs a step on the user's index; if the index turns out to be a legacy list or set, converts
   * it and runs the step again. A failure reply (another type) becomes a RedisOperationError.
   */
  const onIndex = async (operation: string, userId: string, step: () => Promise<Reply>) => {
    let reply: Reply;
    try {
      reply = await step();
    } catch (error) {
      if (!isWrongType(error)) throw error;
      if (await convertLegacyIndex(connection, keys, script, userId) === undefined) throw error;
      return await step();
    }
    if (
      failureOf(reply) !== undefined && await convertLegacyIndex(connection, keys, script, userId)
    ) {
      reply = await step();
    }
    return checkReply(operation, keys, reply);
  };

  /** The index entries, as `[id, score]`; a legacy index is read as it is (score NaN). */
  const entriesOf = async (userId: string): Promise<[string, number][]> => {
    const index = keys.userSession(userId);
    try {
      return scored(await connection.send(commands.zrange(index, "0", "-1", "WITHSCORES")));
    } catch (error) {
      if (!isWrongType(error)) throw error;
      const ids = await legacyIds(connection, index);
      if (ids === undefined) throw error;
      return ids.map((id) => [id, NaN]);
    }
  };

  /** Signs out the user's ids beyond the cap that the index step returned. */
  const signOutOldest = async (userId: string, ids: string[]) => {
    await Promise.all(ids.map(async (id) => {
      const key = keys.session(id);
      const reply = await script(S.sessionDelete, {
        keys: { session_key: key },
        args: { owner: userId },
      });
      checkReply("setSession", keys, reply);
    }));
    const index = keys.userSession(userId);
    checkReply(
      "setSession",
      keys,
      await script(S.indexDrop, { keys: { index_key: index }, args: {}, rest: ids }),
    );
  };

  const setSessionSteps = async (record: SessionRecord): Promise<boolean> => {
    const index = keys.userSession(record.userId);
    const key = keys.session(record.id);
    const at = String(record.expiresAt);
    const added = await onIndex(
      "setSession",
      record.userId,
      () =>
        script(S.indexAdd, {
          keys: { index_key: index },
          args: { id: record.id, expires_at: at, cap, mode: "nx" },
        }),
    ) as [number, Reply[]];
    const undo = () =>
      script(S.indexUndo, { keys: { index_key: index }, args: { id: record.id, score: at } });
    const stored = await connection.send(commands.set(key, record.json, "PXAT", at, "NX"));
    if (stored === null) {
      // Refused: the id is taken, unless by this very session (a retry of this write).
      let current: string | null;
      try {
        current = stringOrNull(await connection.send(commands.get(key)), "GET");
      } catch (error) {
        if (added[0] === 1) await undo();
        throw error;
      }
      if (current !== record.json) {
        if (added[0] === 1) await undo();
        return false;
      }
    } else if (added[0] === 0) {
      // The entry was there already (stale): give it this session's expiry.
      await onIndex(
        "setSession",
        record.userId,
        () =>
          script(S.indexAdd, {
            keys: { index_key: index },
            args: { id: record.id, expires_at: at, cap: "0", mode: "set" },
          }),
      );
    }
    const over = (added[1] ?? []).map(String);
    if (over.length > 0) await signOutOldest(record.userId, over);
    if (maxSessionsPerUser > 0) {
      await confirm("setSession", keys.sessionForLog(record.id), [
        index,
        key,
        ...over.map(keys.session),
      ]);
    }
    return true;
  };

  /** Deletes one session, then its index entry; returns the keys it wrote. */
  const removeOne = async (id: string): Promise<string[]> => {
    const key = keys.session(id);
    const reply = checkReply(
      "deleteSession",
      keys,
      await script(S.sessionDelete, { keys: { session_key: key }, args: { owner: "" } }),
    );
    const [deleted, value] = reply as [number, string | null];
    const owner = deleted === 1 && value !== null ? ownerOf(value) : undefined;
    if (owner === undefined) return [key];
    const index = keys.userSession(owner);
    await onIndex(
      "deleteSession",
      owner,
      () => script(S.indexDrop, { keys: { index_key: index }, args: {}, rest: [id] }),
    );
    return [key, index];
  };

  /**
   * An index entry's score moves before its session's expiry when it rises, after it when it
   * falls (and then only if nothing raised it meanwhile): at every moment the entry outlives the
   * session.
   */
  const updateSessionSteps = async (read: string, record: SessionRecord) => {
    const index = keys.userSession(record.userId);
    const key = keys.session(record.id);
    const at = String(record.expiresAt);
    const before = idleOf(read) ?? NaN;
    const rescore = () =>
      script(S.indexRescore, {
        keys: { index_key: index },
        args: { id: record.id, score: at, before: String(before) },
      });
    const rises = !(record.expiresAt <= before); // A missing or unreadable expiry rises.
    if (rises) await onIndex("updateSession", record.userId, rescore);
    const reply = checkReply(
      "updateSession",
      keys,
      await script(S.sessionUpdate, {
        keys: { session_key: key },
        args: { read, json: record.json, expires_at: at },
      }),
    );
    const outcome = updated(reply);
    if (outcome === true && !rises) await onIndex("updateSession", record.userId, rescore);
    return outcome;
  };

  return {
    updateSession: (read, record) =>
      run("updateSession", keys.sessionForLog(record.id), () => updateSessionSteps(read, record)),

    getSession: (id) => {
      const key = keys.session(id);
      return run("getSession", keys.sessionForLog(id), async () => {
        const value = stringOrNull(await connection.send(commands.get(key)), "GET");
        return value === "" ? null : value;
      });
    },

    getSessionsByUserId: (userId) => {
      const index = keys.userSession(userId);
      return run("getSessionsByUserId", index, async () => {
        const entries = await entriesOf(userId);
        const values = await inBatches(entries, async ([id]) => {
          try {
            return stringOrNull(await connection.send(commands.get(keys.session(id))), "GET");
          } catch (error) {
            if (isWrongType(error)) return null; // Not a session: as MGET on one server.
            throw error;
          }
        });
        const live: [string, string][] = [];
        const drop: string[] = [];
        let expired = false;
        const now = Date.now();
        entries.forEach(([id, score], i) => {
          const value = values[i];
          if (score < now) expired = true;
          if (value === null) return; // Gone, or a login in flight: dropped once expired.
          const owner = value === "" ? "" : ownerOf(value);
          if (owner === "" || (owner !== undefined && owner !== userId)) drop.push(id);
          else live.push([id, value]);
        });
        if ((drop.length > 0 || expired) && entries.every(([, score]) => !Number.isNaN(score))) {
          // Best effort: a read-only replica refuses it, and the read is still right.
          await script(S.indexDrop, { keys: { index_key: index }, args: {}, rest: drop })
            .catch(() => {});
        }
        return live;
      });
    },

    setSession: (record) =>
      run("setSession", keys.sessionForLog(record.id), () => setSessionSteps(record)),

    deleteSession: (ids) =>
      run("deleteSession", keys.sessionForLog(ids[0] ?? ""), async () => {
        const written = await Promise.all([...new Set(ids)].map(removeOne));
        await confirm("deleteSession", keys.sessionForLog(ids[0] ?? ""), written.flat());
      }),

    deleteSessionsByUserId: (userId) => {
      const index = keys.userSession(userId);
      return run("deleteSessionsByUserId", index, async () => {
        let entries = await entriesOf(userId);
        if (entries.some(([, score]) => Number.isNaN(score))) {
          await convertLegacyIndex(connection, keys, script, userId);
          entries = await entriesOf(userId);
        }
        await inBatches(entries, async ([id, score]) => {
          const key = keys.session(id);
          const reply = await script(S.sessionRevoke, {
            keys: { session_key: key },
            args: { user_id: userId, score: String(score) },
          });
          checkReply("deleteSessionsByUserId", keys, reply);
        });
        if (entries.length > 0) {
          const drop = entries.map(([id]) => id);
          const reply = await script(S.indexDrop, {
            keys: { index_key: index },
            args: {},
            rest: drop,
          });
          checkReply("deleteSessionsByUserId", keys, reply);
        }
        await confirm("deleteSessionsByUserId", index, [
          index,
          ...entries.map(([id]) => keys.session(id)),
        ]);
      });
    },
  };
}
