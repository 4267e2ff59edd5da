/**
 * What `stats` measures, by SCANning both namespaces on every primary: session keys (`TYPE`,
 * `GET`, and `MEMORY USAGE` on a sample, sent together for each batch) and index keys (their
 * members, each checked against its session key). Whether a session is live is decided by the
 * library's own rules (`legacyEntry` in `model.ts`: this user's, and its idle expiry ahead); what
 * needs migrating is what `migrate --dry-run` reports, from a dry run of migrate itself, so the
 * two always agree. Reads only.
 *
 * @module
 */
import type { Reply } from "../clients/connection.ts";
import { legacyEntry, ownerOf } from "../core/model.ts";
import type { Context, Node } from "./context.ts";
import { CliError, messageOf } from "./io.ts";
import { migrate } from "./migrate.ts";
import {
  membersCommand,
  replyOr,
  SCAN_COUNT,
  scanNode,
  serverTime,
  sessionValues,
} from "./scan.ts";
import { patternOf } from "./context.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Keys of each kind whose `MEMORY USAGE` is read; the rest are estimated from their mean. */
export const MEMORY_SAMPLE = 1000;

/** The buckets of the sessions-per-user histogram: live sessions in a user's index. */
export const PER_USER_BUCKETS: readonly { label: string; max: number }[] = [
  { label: "0", max: 0 },
  { label: "1", max: 1 },
  { label: "2", max: 2 },
  { label: "3-5", max: 5 },
  { label: "6-10", max: 10 },
  { label: "11-100", max: 100 },
  { label: "101+", max: Infinity },
];

/**
 * The two index namespaces the earlier adapters used by default: lucia-auth 1.x's adapter
 * `userSession`, 2.1.2 `user_sessions`. An app that went from one to the other with the defaults
 * has indexes under both.
 */
const DEFAULT_INDEX_NAMESPACES = ["userSession", "user_sessions"] as const;

/**
 * The other default index namespace for `namespace` (`user_sessions` for `userSession` and back,
 * also after a common prefix: `app:userSession`), or undefined for a namespace of another name.
 *
 * @internal
 */
export function otherIndexNamespace(namespace: string): string | undefined {
  const [a, b] = DEFAULT_INDEX_NAMESPACES;
  for (const [mine, other] of [[a, b], [b, a]]) {
    if (namespace === mine || namespace.endsWith(`:${mine}`)) {
      return namespace.slice(0, namespace.length - mine.length) + other;
    }
  }
  return undefined;
}

/** What `migrate --dry-run` reports it would change, as `stats` shows it. */
export interface MigrationCounts {
  /** Live sessions whose key would be given their idle expiry as its expiry. */
  sessionsExpiryFixed: number;
  /** Dead sessions (idle expiry passed, still stored) that would be deleted. */
  sessionsDeleted: number;
  /** Legacy indexes (1.x lists, 2.x sets) that would be converted. */
  indexesConverted: number;
  /** Index entries that would be dropped (expired, or pointing at nothing, a tombstone, another user). */
  danglingEntriesDropped: number;
  /** Sorted-set indexes without an expiry that would be given one. */
  indexExpiriesFixed: number;
  /** The sum of the five: the changes `migrate` would make. */
  changes: number;
}

/** What `stats --json` prints. Field names are stable. */
export interface Stats {
  /** The server (its password hidden). */
  url: string;
  /** True with `--cluster`. */
  cluster: boolean;
  /** Primaries scanned. */
  nodes: number;
  /** The namespaces scanned, without their `:`. */
  namespaces: { session: string; userSession: string };
  /** Keys found under each namespace. */
  keys: { session: number; userSession: number };
  /** Live sessions: session keys holding a session whose idle expiry is ahead. */
  sessions: number;
  /** Sessions past their idle expiry but still stored (a key that outlives its session). */
  expiredSessions: number;
  /** Tombstones (empty values a cluster sign-out leaves until the session would have expired). */
  tombstones: number;
  /** Session keys holding something else: another type, or a value that is not a session. */
  unreadableSessionKeys: number;
  /** Users with an index key. */
  users: number;
  /**
   * Users by the number of live sessions in their index (listed there, the user's own, idle
   * expiry ahead), by bucket label (`"3-5"`).
   */
  sessionsPerUser: Record<string, number>;
  /** The most live sessions in one index. */
  maxSessionsPerUser: number;
  /** Live sessions by how soon their idle period ends (each in one bucket). */
  expiry: { withinHour: number; withinDay: number; withinWeek: number; later: number };
  /** Memory of the keys scanned (`MEMORY USAGE`): exact when every key was measured. */
  memory: { bytes: number | null; measuredKeys: number; exact: boolean };
  /** Indexes left by the earlier adapters: lists (1.x) and sets (2.x). */
  legacyIndexes: { list: number; set: number };
  /** Index keys of a type no adapter writes (a string, a hash). */
  otherIndexKeys: number;
  /** What `migrate --dry-run` reports for these namespaces (a dry run of migrate itself). */
  migration: MigrationCounts;
  /** `migration.sessionsExpiryFixed` (kept under its earlier name). */
  sessionsNeedingExpiryFix: number;
  /** `migration.danglingEntriesDropped` (kept under its earlier name). */
  danglingIndexEntries: number;
  /** True when `migrate` has something to do (`migration.changes` > 0). */
  needsMigration: boolean;
  /**
   * The other default index namespace (`user_sessions` beside `userSession`, or the reverse)
   * when it also holds index keys, and how many; null otherwise.
   */
  otherIndexNamespace: { namespace: string; indexes: number } | null;
}

interface Memory {
  bytes: number;
  measured: number;
  refused: boolean;
}

function memoryOf(node: Node, key: string, memory: Memory): Promise<void> | undefined {
  if (memory.measured >= MEMORY_SAMPLE || memory.refused) return undefined;
  memory.measured++;
  return replyOr(node.send(["MEMORY", "USAGE", key, "SAMPLES", "0"]), undefined).then((r) => {
    if (typeof r === "number") memory.bytes += r;
    else if (r === undefined) memory.refused = true;
  });
}

/** The idle-expiry bucket of a live session `left` ms from its end. */
function expiryBucket(left: number): keyof Stats["expiry"] {
  return left <= HOUR
    ? "withinHour"
    : left <= DAY
    ? "withinDay"
    : left <= WEEK
    ? "withinWeek"
    : "later";
}

/** Scans the session keys of one node into `stats`. */
async function scanSessions(context: Context, node: Node, stats: Stats, memory: Memory) {
  const now = await serverTime(node);
  await scanNode(node, patternOf(context.keys.sessionPrefix), async (keys) => {
    stats.keys.session += keys.length;
    await Promise.all(keys.map(async (key) => {
      const [type, value] = await Promise.all([
        node.send(["TYPE", key]),
        replyOr(node.send(["GET", key]), null),
        memoryOf(node, key, memory),
      ]);
      if (type === "none") return stats.keys.session--; // Expired meanwhile.
      if (type !== "string" || typeof value !== "string") return stats.unreadableSessionKeys++;
      if (value === "") return stats.tombstones++;
      // A session is its owner's: legacyEntry (model.ts) then says whether it is alive.
      const entry = legacyEntry(value, ownerOf(value) ?? "", now);
      if (entry.fate === "dead") return stats.expiredSessions++;
      if (entry.fate !== "keep") return stats.unreadableSessionKeys++;
      stats.sessions++;
      stats.expiry[expiryBucket(entry.idle - now)]++;
    }));
  });
}

/** The ids an index holds, by its type; undefined for a type no adapter writes. */
async function membersOf(node: Node, key: string, type: Reply): Promise<string[] | undefined> {
  const command = membersCommand(key, type);
  if (command === undefined) return undefined;
  const reply = await node.send(command.args);
  return Array.isArray(reply) ? reply.map(String) : [];
}

/**
 * How many of the user's listed sessions are live: their key holds this user's session, its
 * idle expiry ahead (`legacyEntry`'s `keep`). Each id once; routed by key.
 */
async function liveEntries(context: Context, userId: string, ids: string[], now: number) {
  let live = 0;
  for (const [, value] of await sessionValues(context, ids)) {
    const v = typeof value === "string" ? value : null;
    if (legacyEntry(v, userId, now).fate === "keep") live++;
  }
  return live;
}

/** Scans the index keys of one node into `stats`. */
async function scanIndexes(context: Context, node: Node, stats: Stats, memory: Memory) {
  const prefix = context.keys.userSessionPrefix;
  const now = await serverTime(node);
  await scanNode(node, patternOf(prefix), async (keys) => {
    stats.keys.userSession += keys.length;
    await Promise.all(keys.map(async (key) => {
      const [type] = await Promise.all([node.send(["TYPE", key]), memoryOf(node, key, memory)]);
      if (type === "none") return stats.keys.userSession--;
      const ids = await membersOf(node, key, type);
      if (ids === undefined) return stats.otherIndexKeys++;
      if (type === "list" || type === "set") stats.legacyIndexes[type]++;
      stats.users++;
      const live = await liveEntries(context, key.slice(prefix.length), ids, now);
      stats.maxSessionsPerUser = Math.max(stats.maxSessionsPerUser, live);
      const bucket = PER_USER_BUCKETS.find((b) => live <= b.max) ?? PER_USER_BUCKETS[0];
      stats.sessionsPerUser[bucket.label]++;
    }));
  });
}

/** The index keys (lists, sets, sorted sets) under `namespace` on every primary. */
async function indexesUnder(context: Context, namespace: string): Promise<number> {
  let found = 0;
  for (const node of context.nodes) {
    await scanNode(node, patternOf(`${namespace}:`), async (keys) => {
      const types = await Promise.all(keys.map((key) => replyOr(node.send(["TYPE", key]), null)));
      found += types.filter((t) => t === "zset" || t === "list" || t === "set").length;
    });
  }
  return found;
}

/** What `migrate --dry-run` would report here: migrate itself, dry, its progress not shown. */
async function dryRun(context: Context): Promise<MigrationCounts> {
  const quiet: Context = {
    ...context,
    io: { ...context.io, stderr: () => {}, stderrIsTTY: false },
  };
  const summary = await migrate(quiet, { dryRun: true, batch: SCAN_COUNT });
  return {
    sessionsExpiryFixed: summary.sessionsExpiryFixed,
    sessionsDeleted: summary.sessionsDeleted,
    indexesConverted: summary.indexesConverted,
    danglingEntriesDropped: summary.danglingEntriesDropped,
    indexExpiriesFixed: summary.indexExpiriesFixed,
    changes: summary.changes,
  };
}

/** All figures at zero. @internal */
export function emptyStats(context: Context): Stats {
  return {
    url: context.url,
    cluster: context.cluster,
    nodes: context.nodes.length,
    namespaces: { ...context.namespaces },
    keys: { session: 0, userSession: 0 },
    sessions: 0,
    expiredSessions: 0,
    tombstones: 0,
    unreadableSessionKeys: 0,
    users: 0,
    sessionsPerUser: Object.fromEntries(PER_USER_BUCKETS.map((b) => [b.label, 0])),
    maxSessionsPerUser: 0,
    expiry: { withinHour: 0, withinDay: 0, withinWeek: 0, later: 0 },
    memory: { bytes: null, measuredKeys: 0, exact: true },
    legacyIndexes: { list: 0, set: 0 },
    otherIndexKeys: 0,
    migration: {
      sessionsExpiryFixed: 0,
      sessionsDeleted: 0,
      indexesConverted: 0,
      danglingEntriesDropped: 0,
      indexExpiriesFixed: 0,
      changes: 0,
    },
    sessionsNeedingExpiryFix: 0,
    danglingIndexEntries: 0,
    needsMigration: false,
    otherIndexNamespace: null,
  };
}

/**
 * Scans both namespaces on every primary, then runs `migrate --dry-run` for what needs
 * migrating. An empty namespace gives zeros. A {@linkcode CliError} when Redis fails.
 */
export async function collectStats(context: Context): Promise<Stats> {
  const stats = emptyStats(context);
  const sessionMemory: Memory = { bytes: 0, measured: 0, refused: false };
  const indexMemory: Memory = { bytes: 0, measured: 0, refused: false };
  try {
    for (const node of context.nodes) {
      await scanSessions(context, node, stats, sessionMemory);
      await scanIndexes(context, node, stats, indexMemory);
    }
    stats.migration = await dryRun(context);
    const other = otherIndexNamespace(context.namespaces.userSession);
    const indexes = other === undefined ? 0 : await indexesUnder(context, other);
    if (other !== undefined && indexes > 0) {
      stats.otherIndexNamespace = { namespace: other, indexes };
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read the sessions: ${messageOf(error)}`);
  }
  const { session, userSession } = stats.keys;
  const estimate = (m: Memory, keys: number) =>
    m.measured === 0 ? 0 : (m.bytes / m.measured) * keys;
  stats.memory = {
    bytes: sessionMemory.refused || indexMemory.refused
      ? null
      : Math.round(estimate(sessionMemory, session) + estimate(indexMemory, userSession)),
    measuredKeys: sessionMemory.measured + indexMemory.measured,
    exact: sessionMemory.measured >= session && indexMemory.measured >= userSession,
  };
  stats.sessionsNeedingExpiryFix = stats.migration.sessionsExpiryFixed;
  stats.danglingIndexEntries = stats.migration.danglingEntriesDropped;
  stats.needsMigration = stats.migration.changes > 0;
  return stats;
}
