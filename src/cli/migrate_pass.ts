/**
 * The two passes of `migrate`, each a SCAN of every primary for one namespace, batch by batch
 * (the next SCAN already in flight while a batch is worked on; a batch's commands are sent at
 * once, so the client pipelines them). A real run sends one atomic script per key; a dry run
 * sends only reads and applies the same rules (`core/migrate_rules.ts`).
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import { convertLegacyIndex } from "../store/cluster_legacy.ts";
import { keysFor } from "../core/keys.ts";
import { failureOf, isWrongType, scored, timeOf } from "../clients/reply.ts";
import { scriptRunner } from "../store/script_runner.ts";
import { atLeast, type Context, type Node, patternOf } from "./context.ts";
import { MIGRATE_SCRIPTS } from "../lua/migrate.ts";
import { membersCommand, scanNode, serverTime } from "./scan.ts";
import {
  dropsEntry,
  fixesIndexExpiry,
  legacyEntryAction,
  ownerOf,
  SESSION_ACTIONS,
  type SessionAction,
  sessionAction,
} from "../core/migrate_rules.ts";

/** What a run did (or, dry, would do). Field names are the JSON summary's. */
export interface Counts {
  /** Session keys scanned. */
  sessionsScanned: number;
  /** Live sessions given their idle expiry as their key's expiry. */
  sessionsExpiryFixed: number;
  /** Dead sessions (idle expiry passed) deleted. */
  sessionsDeleted: number;
  /** Keys under the session namespace that are no session: tombstones, other values. */
  sessionsSkipped: number;
  /** Index keys scanned. */
  indexesScanned: number;
  /** Legacy indexes (1.x lists, 2.x sets) converted to sorted sets. */
  indexesConverted: number;
  /** Index entries dropped: expired, or pointing at nothing, a tombstone, another user. */
  danglingEntriesDropped: number;
  /** Sorted-set indexes without an expiry given one. */
  indexExpiriesFixed: number;
  /** Indexes of `--merge-user-session-namespace` merged into their user's index, then deleted. */
  indexesMerged: number;
}

/** All counts at zero. @internal */
export function noCounts(): Counts {
  return {
    sessionsScanned: 0,
    sessionsExpiryFixed: 0,
    sessionsDeleted: 0,
    sessionsSkipped: 0,
    indexesScanned: 0,
    indexesConverted: 0,
    danglingEntriesDropped: 0,
    indexExpiriesFixed: 0,
    indexesMerged: 0,
  };
}

/** What a pass reports after each batch: keys scanned, keys changed. */
export type OnBatch = (scanned: number, changed: number) => void;

/** How a pass runs. @internal */
export interface PassOptions {
  readonly batch: number;
  readonly dryRun: boolean;
  readonly counts: Counts;
  readonly onBatch: OnBatch;
}

/** The work done on one batch of keys; resolves with the keys changed. @internal */
export type Work = (node: Node, keys: string[]) => Promise<number>;

/** SCANs every primary for `prefix*`, and hands each batch of keys to `work`. @internal */
export async function scanEach(
  context: Context,
  prefix: string,
  batch: number,
  work: Work,
  on: OnBatch,
) {
  const pattern = patternOf(prefix);
  for (const node of context.nodes) {
    await scanNode(node, pattern, async (keys) => on(keys.length, await work(node, keys)), batch);
  }
}

/** GET, with a key holding no string read as undefined. @internal */
export async function getValue(context: Context, key: string): Promise<string | null | undefined> {
  try {
    const value = await context.connection.send(commands.get(key));
    return typeof value === "string" ? value : null;
  } catch (error) {
    if (isWrongType(error)) return undefined;
    throw error;
  }
}

/**
 * Keys per script on a single server: enough to spare most round trips, few enough that a script
 * holds the server for about a millisecond. One on a cluster, where a script has one key.
 */
const GROUP = 32;

/** The keys in groups of one script each. @internal */
export function groupsOf(context: Context, keys: string[]): string[][] {
  const size = context.cluster ? 1 : GROUP;
  return Array.from(
    { length: Math.ceil(keys.length / size) },
    (_, i) => keys.slice(i * size, (i + 1) * size),
  );
}

/** Pass 1: every session key given its idle expiry, or deleted when dead. @internal */
export async function sessionPass(context: Context, options: PassOptions): Promise<void> {
  const { counts } = options;
  const run = scriptRunner(context.connection);
  const exact = atLeast(context.version, 7, 0);
  const tally = (actions: SessionAction[]) => {
    let changed = 0;
    for (const action of actions) {
      counts.sessionsScanned++;
      if (action === "expire") counts.sessionsExpiryFixed++;
      else if (action === "delete") counts.sessionsDeleted++;
      else if (action === "skip") counts.sessionsSkipped++;
      if (action === "expire" || action === "delete") changed++;
    }
    return changed;
  };
  const real: Work = async (_node, keys) => {
    const replies = await Promise.all(
      groupsOf(context, keys).map((group) =>
        run(MIGRATE_SCRIPTS.sessionFix, { keys: {}, args: {}, rest: group })
      ),
    );
    return tally(replies.flatMap((reply) =>
      (Array.isArray(reply) ? reply : [reply]).map((code) => {
        const action = SESSION_ACTIONS[Number(code)];
        if (action === undefined) throw new TypeError(`Unexpected reply from sessionFix: ${code}`);
        return action;
      })
    ));
  };
  const dry: Work = async (node, keys) => {
    const now = await serverTime(node);
    return tally(
      await Promise.all(keys.map(async (key) => {
        const [value, expiry] = await Promise.all([
          getValue(context, key),
          context.connection.send(exact ? commands.pexpiretime(key) : commands.pttl(key)),
        ]);
        const at = Number(expiry);
        return sessionAction(value, exact || at < 0 ? at : now + at, now, exact ? 0 : 1);
      })),
    );
  };
  await scanEach(
    context,
    context.keys.sessionPrefix,
    options.batch,
    options.dryRun ? dry : real,
    options.onBatch,
  );
}

/** What pass 2 did to one index: the counts it adds. */
interface IndexResult {
  converted: number;
  dropped: number;
  deleted: number;
  expiry: number;
}

const NOTHING: IndexResult = { converted: 0, dropped: 0, deleted: 0, expiry: 0 };

/** The ids of a legacy index, or undefined when the key is not one. */
async function legacyIds(context: Context, index: string, kind: string) {
  const command = kind === "list" || kind === "set" ? membersCommand(index, kind) : undefined;
  if (command === undefined) return undefined;
  const read = await context.connection.send(command);
  return (Array.isArray(read) ? read : []).map(String);
}

/** A dry run's look at one index: the same rules, reads only. */
async function dryIndex(context: Context, now: number, index: string, userId: string) {
  const kind = String(await context.connection.send(commands.type(index)));
  const ids = await legacyIds(context, index, kind);
  if (ids !== undefined) {
    const kept = new Set<string>();
    await Promise.all([...new Set(ids)].map(async (id) => {
      const value = await getValue(context, context.keys.session(id));
      // Pass 1 deletes the dead sessions first: the conversion then finds them gone.
      if (sessionAction(value, -1, now) === "delete") return;
      if (legacyEntryAction(value, userId, now) === "keep") kept.add(id);
    }));
    return { ...NOTHING, converted: 1, dropped: ids.length - kept.size };
  }
  if (kind !== "zset") return NOTHING;
  const entries = scored(
    await context.connection.send(commands.zrange(index, "0", "-1", "WITHSCORES")),
  );
  const values = await Promise.all(
    entries.map(([id]) => getValue(context, context.keys.session(id))),
  );
  const left: number[] = [];
  let dropped = 0;
  entries.forEach(([, score], i) => {
    if (dropsEntry(values[i], score, userId, now, context.cluster)) dropped++;
    else left.push(score);
  });
  const ttl = Number(await context.connection.send(commands.pttl(index)));
  return { ...NOTHING, dropped, expiry: fixesIndexExpiry(ttl, left) ? 1 : 0 };
}

/** Pass 2: every legacy index converted, every sorted-set index rid of dangling entries. */
export async function indexPass(context: Context, options: PassOptions): Promise<void> {
  const { counts, dryRun } = options;
  const { keys } = context;
  const run = scriptRunner(context.connection);

  const onServer = async (group: string[]): Promise<IndexResult[]> => {
    const reply = await run(MIGRATE_SCRIPTS.indexFix, {
      keys: {},
      args: { session_prefix: keys.sessionPrefix, index_prefix: keys.userSessionPrefix },
      rest: group,
    });
    const n = (Array.isArray(reply) ? reply : []).map(Number);
    return group.map((_, i) => ({
      converted: n[4 * i],
      dropped: n[4 * i + 1],
      deleted: n[4 * i + 2],
      expiry: n[4 * i + 3],
    }));
  };

  const onCluster = async (index: string, userId: string): Promise<IndexResult> => {
    const kind = String(await context.connection.send(commands.type(index)));
    if (kind === "list" || kind === "set") {
      const count = kind === "list" ? commands.llen(index) : commands.scard(index);
      const n = Number(await context.connection.send(count));
      const done = await convertLegacyIndex(context.connection, keys, run, userId);
      if (done !== undefined && (done.kind === "list" || done.kind === "set")) {
        return {
          converted: 1,
          dropped: Math.max(0, n - done.kept),
          deleted: done.deleted,
          expiry: 0,
        };
      }
    }
    if (kind !== "zset") return NOTHING;
    const entries = scored(
      await context.connection.send(commands.zrange(index, "0", "-1", "WITHSCORES")),
    );
    // Tombstones and other users' sessions, found here; the script drops the expired ids itself,
    // and never one only because its session is missing (a login in flight writes it last).
    const drop: string[] = [];
    await Promise.all(entries.map(async ([id]) => {
      const value = await getValue(context, keys.session(id));
      if (typeof value !== "string") return;
      const owner = value === "" ? "" : ownerOf(value);
      if (owner !== undefined && owner !== userId) drop.push(id);
    }));
    const reply = await run(MIGRATE_SCRIPTS.clusterIndexFix, {
      keys: { index_key: index },
      args: {},
      rest: drop,
    });
    const [dropped, expiry] = (Array.isArray(reply) ? reply : []).map(Number);
    return { ...NOTHING, dropped, expiry };
  };

  const work: Work = async (node, batch) => {
    const now = dryRun ? await serverTime(node) : 0;
    const userOf = (index: string) => index.slice(keys.userSessionPrefix.length);
    const results = dryRun
      ? await Promise.all(batch.map((index) => dryIndex(context, now, index, userOf(index))))
      : context.cluster
      ? await Promise.all(batch.map((index) => onCluster(index, userOf(index))))
      : (await Promise.all(groupsOf(context, batch).map(onServer))).flat();
    let changed = 0;
    for (const r of results) {
      counts.indexesScanned++;
      counts.indexesConverted += r.converted;
      counts.danglingEntriesDropped += r.dropped;
      counts.sessionsDeleted += r.deleted;
      counts.indexExpiriesFixed += r.expiry;
      if (r.converted + r.dropped + r.deleted + r.expiry > 0) changed++;
    }
    return changed;
  };
  await scanEach(context, keys.userSessionPrefix, options.batch, work, options.onBatch);
}

/** The merge pass's options: the pass's own, and the namespace merged from. @internal */
export interface MergeOptions extends PassOptions {
  /** The key prefix (`userSession:`) of the indexes merged into the context's. */
  readonly fromPrefix: string;
}

const INDEX_TYPES = new Set(["list", "set", "zset"]);

/**
 * Times the cluster merge reads the other index again when it changed under it, before it stops
 * (run it again): as many as the adapter's own legacy conversion allows (`cluster_legacy.ts`).
 */
const MERGE_ATTEMPTS = 10;

/**
 * The merge pass: every index under `fromPrefix` merged into the index of the same user under the
 * context's namespace, after pass 2 has brought the target indexes up to date. On a single server
 * one atomic step each (`mergeIndex`); on a cluster, one-key steps in an order that keeps every
 * live session in an index the app reads or will read: the target gets the entries before the
 * other index is deleted, and only if that one is still what was read. Indexes scanned here count
 * as scanned.
 *
 * @internal
 */
export async function mergePass(context: Context, options: MergeOptions): Promise<void> {
  const { counts, dryRun, fromPrefix } = options;
  const { keys } = context;
  const run = scriptRunner(context.connection);
  const onServer = async (group: string[]): Promise<number[]> => {
    const reply = await run(MIGRATE_SCRIPTS.mergeIndex, {
      keys: {},
      args: {
        session_prefix: keys.sessionPrefix,
        index_prefix: fromPrefix,
        target_prefix: keys.userSessionPrefix,
      },
      rest: group,
    });
    const failure = failureOf(reply);
    if (failure !== undefined) {
      throw new TypeError(`mergeIndex refused on ${failure.key}: ${failure.message}`);
    }
    return (Array.isArray(reply) ? reply : []).map(Number);
  };
  const fromKeys = keysFor(
    { value: keys.sessionPrefix.slice(0, -1), name: "--session-namespace", fallback: "" },
    { value: fromPrefix.slice(0, -1), name: "--merge-user-session-namespace", fallback: "" },
  );
  // A cluster: both indexes converted by the adapter's cluster conversion, the entries worth
  // keeping added to the target, then the other index deleted if it is still what was read.
  const onCluster = async (index: string): Promise<number> => {
    const userId = index.slice(fromPrefix.length);
    const target = keys.userSession(userId);
    for (let attempt = 0; attempt < MERGE_ATTEMPTS; attempt++) {
      const kinds = await Promise.all(
        [index, target].map(async (key) =>
          String(await context.connection.send(commands.type(key)))
        ),
      );
      if (!INDEX_TYPES.has(kinds[0]) || !(INDEX_TYPES.has(kinds[1]) || kinds[1] === "none")) {
        return 0;
      }
      if (await convertLegacyIndex(context.connection, keys, run, userId) === undefined) return 0;
      if (await convertLegacyIndex(context.connection, fromKeys, run, userId) === undefined) {
        return 0;
      }
      const read = await context.connection.send(commands.zrange(index, "0", "-1", "WITHSCORES"));
      const entries = scored(read);
      const now = timeOf(await context.connection.send(commands.time()));
      const values = await Promise.all(entries.map(([id]) => getValue(context, keys.session(id))));
      const kept = entries.filter(([, score], i) =>
        !dropsEntry(values[i], score, userId, now, true)
      );
      const added = await run(MIGRATE_SCRIPTS.clusterMergeAdd, {
        keys: { index_key: target },
        args: {},
        rest: kept.flatMap(([id, score]) => [String(score), id]),
      });
      if (Number(added) !== 1) return 0;
      const dropped = await run(MIGRATE_SCRIPTS.clusterMergeDrop, {
        keys: { index_key: index },
        args: { count: String(entries.length) },
        rest: entries.flatMap(([id, score]) => [id, String(score)]),
      });
      if (Number(dropped) === 1) return 1;
    }
    throw new TypeError(`the index ${index} kept changing while it was merged`);
  };
  const dry = async (index: string): Promise<number> => {
    const target = keys.userSession(index.slice(fromPrefix.length));
    const [kind, targetKind] = await Promise.all(
      [index, target].map(async (key) => String(await context.connection.send(commands.type(key)))),
    );
    return INDEX_TYPES.has(kind) && (INDEX_TYPES.has(targetKind) || targetKind === "none") ? 1 : 0;
  };
  const work: Work = async (_node, batch) => {
    const merged = dryRun
      ? await Promise.all(batch.map(dry))
      : context.cluster
      ? await Promise.all(batch.map(onCluster))
      : (await Promise.all(groupsOf(context, batch).map(onServer))).flat();
    const changed = merged.reduce((a, b) => a + b, 0);
    counts.indexesScanned += batch.length;
    counts.indexesMerged += changed;
    return changed;
  };
  await scanEach(context, fromPrefix, options.batch, work, options.onBatch);
}
