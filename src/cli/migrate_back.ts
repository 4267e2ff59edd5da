/**
 * `migrate --to 2.1.2`: the way back to `@lucia-auth/adapter-session-redis` 2.1.2, in two passes
 * over every primary: every index to 2.1.2's set of the user's live ids, then every live session
 * missing from its owner's set added to it; sessions' values are left as they are.
 * ARCHITECTURE.md, "migrate", gives the passes and why each write is safe while the app runs.
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Command, Reply } from "../clients/connection.ts";
import { failureOf, timeOf } from "../clients/reply.ts";
import { scriptRunner } from "../store/script_runner.ts";
import type { Context } from "./context.ts";
import { count, duration, plural, rows } from "./format.ts";
import { CliError } from "./io.ts";
import { MIGRATE_BACK_SCRIPTS as S } from "../lua/migrate_back.ts";
import { isLiveOf, liveOwner } from "../core/migrate_back_rules.ts";
import { getValue, groupsOf, type OnBatch, scanEach, type Work } from "./migrate_pass.ts";
import { membersCommand, serverTime } from "./scan.ts";

/** The version `--to` takes. */
export const BACK_TO = "2.1.2";

/** What a run back to 2.1.2 did (or, dry, would do). Field names are the JSON summary's. */
export interface BackCounts {
  /** Index keys scanned. */
  indexesScanned: number;
  /** Sorted-set (or 1.x list) indexes replaced by 2.1.2's set of live ids. */
  indexesConverted: number;
  /** Ids of converted indexes not carried over: dead, gone, a tombstone, another user's. */
  entriesLeftOut: number;
  /** Sets that had an expiry and lost it. */
  setExpiriesRemoved: number;
  /** Session keys scanned. */
  sessionsScanned: number;
  /** Live sessions that were missing from their owner's set and were added. */
  sessionsIndexed: number;
  /** Live sessions whose owner's index was no set when their turn came (run again). */
  sessionsLeft: number;
}

/** The JSON summary of `migrate --to 2.1.2`. */
export interface MigrateBackSummary extends BackCounts {
  /** Always `2.1.2`. */
  to: string;
  /** True when nothing was written. */
  dryRun: boolean;
  /** Keys scanned in both passes. */
  scanned: number;
  /** Changes made (or, dry, to make): indexes converted, expiries removed, sessions indexed. */
  changes: number;
  /** How long the run took. */
  seconds: number;
  /** Keys scanned per second. */
  keysPerSecond: number;
}

/** All counts at zero. @internal */
export function noBackCounts(): BackCounts {
  return {
    indexesScanned: 0,
    indexesConverted: 0,
    entriesLeftOut: 0,
    setExpiriesRemoved: 0,
    sessionsScanned: 0,
    sessionsIndexed: 0,
    sessionsLeft: 0,
  };
}

/** The sum of the counts that are changes. @internal */
export function backChangesOf(counts: BackCounts): number {
  return counts.indexesConverted + counts.setExpiriesRemoved + counts.sessionsIndexed;
}

/** The summary as text. @internal */
export function backSummaryText(summary: MigrateBackSummary): string {
  const name = `migrate --to ${summary.to}`;
  const head = summary.dryRun
    ? `${name} --dry-run: nothing written; a real run would make ` +
      `${plural(summary.changes, "change")} (${plural(summary.scanned, "key")} scanned in ${
        duration(summary.seconds)
      })`
    : `${name}: ${plural(summary.changes, "change")}, ${
      plural(summary.scanned, "key")
    } scanned in ` +
      `${duration(summary.seconds)} (${count(summary.keysPerSecond)} keys/s)`;
  return `${head}\n${
    rows([
      ["index keys scanned", count(summary.indexesScanned)],
      ["indexes converted to 2.1.2's set", count(summary.indexesConverted)],
      ["entries left out (not a live session)", count(summary.entriesLeftOut)],
      ["set expiries removed", count(summary.setExpiriesRemoved)],
      ["session keys scanned", count(summary.sessionsScanned)],
      ["live sessions added to their set", count(summary.sessionsIndexed)],
      ...(summary.sessionsLeft > 0
        ? [["left: their index is no set (run again)", count(summary.sessionsLeft)]]
        : []) as [string, string][],
    ])
  }\n`;
}

/** How a pass runs. @internal */
export interface BackPassOptions {
  readonly batch: number;
  readonly dryRun: boolean;
  readonly counts: BackCounts;
  readonly onBatch: OnBatch;
}

/** A script's failure reply (`{false, key, message}`: nothing written) as a CliError. */
function checked(reply: Reply, script: string): Reply {
  const failure = failureOf(reply);
  if (failure !== undefined) {
    throw new CliError(`${script} refused on ${failure.key}: ${failure.message}`);
  }
  return reply;
}

/** A one-key command of our own (the builders of commands.ts cover what the adapter sends). */
function oneKey(name: string, key: string, ...rest: string[]): Command {
  return { args: [name, key, ...rest], keys: [1] };
}

/**
 * On a Redis Cluster, after ids went into a user's set on the strength of an earlier read of
 * their sessions: reads them again and takes out of the set those that are no longer a live
 * session of the user. This adapter's sign-out on a cluster overwrites each session with a
 * tombstone before it touches the index; a tombstone left in 2.1.2's set would fail the user's
 * whole list there (2.1.2 `JSON.parse`s every value it finds).
 */
async function recheck(context: Context, index: string, ids: readonly string[], userId: string) {
  if (ids.length === 0) return;
  const values = await Promise.all(ids.map((id) => getValue(context, context.keys.session(id))));
  const now = timeOf(await context.connection.send(commands.time()));
  const gone = ids.filter((_, i) => !isLiveOf(values[i], userId, now));
  if (gone.length > 0) await context.connection.send(oneKey("SREM", index, ...gone));
}

/** What pass 1 did to one index. */
interface IndexResult {
  converted: number;
  leftOut: number;
  persisted: number;
}

const NOTHING: IndexResult = { converted: 0, leftOut: 0, persisted: 0 };

/**
 * Times the cluster step reads an index again when it changed under it, before it stops (run it
 * again): as many as the adapter's own legacy conversion allows (`cluster_legacy.ts`).
 */
const ATTEMPTS = 10;

/** Pass 1: every index to 2.1.2's set of live ids. @internal */
export async function setIndexPass(context: Context, options: BackPassOptions): Promise<void> {
  const { counts, dryRun } = options;
  const { keys, connection } = context;
  const run = scriptRunner(connection);
  const send = (command: Command) => connection.send(command);

  const onServer = async (group: string[]): Promise<IndexResult[]> => {
    const reply = checked(
      await run(S.toSetIndex, {
        keys: {},
        args: { session_prefix: keys.sessionPrefix, index_prefix: keys.userSessionPrefix },
        rest: group,
      }),
      "toSetIndex",
    );
    const n = (Array.isArray(reply) ? reply : []).map(Number);
    return group.map((_, i) => ({
      converted: n[3 * i],
      leftOut: n[3 * i + 1],
      persisted: n[3 * i + 2],
    }));
  };

  /** Reads an index and decides: the ids as listed, the distinct ones, the live ones. */
  const read = async (index: string, userId: string, kind: string, now: number) => {
    const listed = (await send(membersCommand(index, kind)!) as Reply[]).map(String);
    const unique = [...new Set(listed)];
    const values = await Promise.all(unique.map((id) => getValue(context, keys.session(id))));
    const live = unique.filter((_, i) => isLiveOf(values[i], userId, now));
    return { listed, unique, live };
  };

  const one = async (index: string, userId: string, now: number): Promise<IndexResult> => {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const kind = String(await send(commands.type(index)));
      if (kind === "set") {
        if (Number(await send(commands.pttl(index))) < 0) return NOTHING;
        if (dryRun) return { ...NOTHING, persisted: 1 };
        const reply = checked(
          await run(S.clusterSetAdd, { keys: { index_key: index }, args: { persist: "1" } }),
          "clusterSetAdd",
        );
        const [added, persisted] = (reply as Reply[]).map(Number);
        if (added < 0) continue;
        return { ...NOTHING, persisted };
      }
      if (kind !== "zset" && kind !== "list") return NOTHING;
      const { listed, unique, live } = await read(index, userId, kind, now);
      const result = { converted: 1, leftOut: unique.length - live.length, persisted: 0 };
      if (dryRun) return result;
      const reply = checked(
        await run(S.clusterToSetIndex, {
          keys: { index_key: index },
          args: { kind, count: String(listed.length) },
          rest: [...listed, ...live],
        }),
        "clusterToSetIndex",
      );
      if (Number(reply) === 1) {
        await recheck(context, index, live, userId);
        return result;
      }
    }
    throw new CliError(`the index ${index} kept changing while it was read (${ATTEMPTS} times)`);
  };

  const work: Work = async (node, batch) => {
    const userOf = (index: string) => index.slice(keys.userSessionPrefix.length);
    let results: IndexResult[];
    if (dryRun || context.cluster) {
      const now = await serverTime(node);
      results = await Promise.all(batch.map((index) => one(index, userOf(index), now)));
    } else results = (await Promise.all(groupsOf(context, batch).map(onServer))).flat();
    let changed = 0;
    for (const r of results) {
      counts.indexesScanned++;
      counts.indexesConverted += r.converted;
      counts.entriesLeftOut += r.leftOut;
      counts.setExpiriesRemoved += r.persisted;
      if (r.converted + r.persisted > 0) changed++;
    }
    return changed;
  };
  await scanEach(context, keys.userSessionPrefix, options.batch, work, options.onBatch);
}

/** What pass 2 does to one session key: nothing, added to its owner's set, or left. */
type SessionCode = 0 | 1 | 2;

/** Pass 2: every live session in its owner's set. @internal */
export async function setSessionPass(context: Context, options: BackPassOptions): Promise<void> {
  const { counts, dryRun } = options;
  const { keys, connection } = context;
  const run = scriptRunner(connection);
  const send = (command: Command) => connection.send(command);

  const onServer = async (group: string[]): Promise<SessionCode[]> => {
    const reply = checked(
      await run(S.indexSessionsInSets, {
        keys: {},
        args: { session_prefix: keys.sessionPrefix, index_prefix: keys.userSessionPrefix },
        rest: group,
      }),
      "indexSessionsInSets",
    );
    return (Array.isArray(reply) ? reply : []).map((code) => Number(code) as SessionCode);
  };

  /** A dry run: would pass 1 have left this id in the owner's index? */
  const listed = async (index: string, id: string): Promise<SessionCode> => {
    const kind = String(await send(commands.type(index)));
    if (kind === "none") return 1;
    const found = kind === "set"
      ? Number(await send(oneKey("SISMEMBER", index, id))) === 1
      : kind === "zset"
      ? await send(oneKey("ZSCORE", index, id)) !== null
      : kind === "list"
      ? await send(oneKey("LPOS", index, id)) !== null
      : undefined;
    if (found === undefined) return 2;
    return found ? 0 : 1;
  };

  const one = async (key: string, now: number): Promise<SessionCode> => {
    const owner = liveOwner(await getValue(context, key), now);
    if (owner === undefined) return 0;
    const id = key.slice(keys.sessionPrefix.length);
    const index = keys.userSession(owner);
    if (dryRun) return await listed(index, id);
    const reply = checked(
      await run(S.clusterSetAdd, {
        keys: { index_key: index },
        args: { persist: "0" },
        rest: [id],
      }),
      "clusterSetAdd",
    );
    const [added] = (reply as Reply[]).map(Number);
    if (added > 0) await recheck(context, index, [id], owner);
    return added < 0 ? 2 : added > 0 ? 1 : 0;
  };

  const work: Work = async (node, batch) => {
    let codes: SessionCode[];
    if (dryRun || context.cluster) {
      const now = await serverTime(node);
      codes = await Promise.all(batch.map((key) => one(key, now)));
    } else codes = (await Promise.all(groupsOf(context, batch).map(onServer))).flat();
    let changed = 0;
    for (const code of codes) {
      counts.sessionsScanned++;
      if (code === 1) counts.sessionsIndexed++, changed++;
      else if (code === 2) counts.sessionsLeft++;
    }
    return changed;
  };
  await scanEach(context, keys.sessionPrefix, options.batch, work, options.onBatch);
}
