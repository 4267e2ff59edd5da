/**
 * What `stats` measures, by SCANning both namespaces on every primary: session keys (`TYPE`,
 * `PTTL`, `GET`, and `MEMORY USAGE` on a sample, sent together for each batch) and index keys
 * (their members, each checked against its session key). Reads only.
 *
 * @module
 */
import type { Reply } from "../connection.ts";
import type { Context, Node } from "./context.ts";
import { CliError, messageOf } from "./io.ts";
import { membersCommand, replyOr, scanNode, serverTime, sessionValues } from "./scan.ts";
import { patternOf } from "./context.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Keys of each kind whose `MEMORY USAGE` is read; the rest are estimated from their mean. */
export const MEMORY_SAMPLE = 1000;

/** A key's expiry may lag its session's idle expiry by this much before it needs fixing. */
const EXPIRY_SLACK = 1000;

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
  /** Users by the number of live sessions in their index, by bucket label (`"3-5"`). */
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
  /** Session keys with no TTL, or a TTL past their `idle_expires` (1.x's ~54-year TTLs). */
  sessionsNeedingExpiryFix: number;
  /** Index entries whose session is gone (missing, a tombstone, or another user's). */
  danglingIndexEntries: number;
  /** True when `migrate` has something to do (legacy indexes, expiries, dangling entries). */
  needsMigration: boolean;
}

interface Memory {
  bytes: number;
  measured: number;
  refused: boolean;
}

/** Reads a stored value as a session: its owner and idle expiry, or undefined. */
function sessionOf(value: string): { owner: string; idle: number } | undefined {
  try {
    const parsed = JSON.parse(value);
    const owner = parsed?.user_id, idle = Number(parsed?.idle_expires);
    return typeof owner === "string" && Number.isFinite(idle) ? { owner, idle } : undefined;
  } catch {
    return undefined;
  }
}

function memoryOf(node: Node, key: string, memory: Memory): Promise<void> | undefined {
  if (memory.measured >= MEMORY_SAMPLE || memory.refused) return undefined;
  memory.measured++;
  return replyOr(node.send(["MEMORY", "USAGE", key, "SAMPLES", "0"]), undefined).then((r) => {
    if (typeof r === "number") memory.bytes += r;
    else if (r === undefined) memory.refused = true;
  });
}

/** Scans the session keys of one node into `stats`. */
async function scanSessions(context: Context, node: Node, stats: Stats, memory: Memory) {
  const now = await serverTime(node);
  await scanNode(node, patternOf(context.keys.sessionPrefix), async (keys) => {
    stats.keys.session += keys.length;
    await Promise.all(keys.map(async (key) => {
      const [type, ttl, value] = await Promise.all([
        node.send(["TYPE", key]),
        node.send(["PTTL", key]),
        replyOr(node.send(["GET", key]), null),
        memoryOf(node, key, memory),
      ]);
      if (type === "none") return stats.keys.session--; // Expired meanwhile.
      if (type !== "string" || typeof value !== "string") return stats.unreadableSessionKeys++;
      if (value === "") return stats.tombstones++;
      const session = sessionOf(value);
      if (session === undefined) return stats.unreadableSessionKeys++;
      const pttl = Number(ttl);
      if (pttl === -1 || (pttl > 0 && now + pttl > Math.ceil(session.idle) + EXPIRY_SLACK)) {
        stats.sessionsNeedingExpiryFix++;
      }
      const left = session.idle - now;
      if (left <= 0) return stats.expiredSessions++;
      stats.sessions++;
      const bucket = left <= HOUR
        ? "withinHour"
        : left <= DAY
        ? "withinDay"
        : left <= WEEK
        ? "withinWeek"
        : "later";
      stats.expiry[bucket]++;
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

/** How many of the user's listed sessions are live (theirs, and there); routed by key. */
async function liveEntries(context: Context, userId: string, ids: string[]): Promise<number> {
  let live = 0;
  for (const [, value] of await sessionValues(context, ids)) {
    if (typeof value !== "string" || value === "") continue;
    const owner = sessionOf(value)?.owner;
    if (owner === undefined || owner === userId) live++;
  }
  return live;
}

/** Scans the index keys of one node into `stats`. */
async function scanIndexes(context: Context, node: Node, stats: Stats, memory: Memory) {
  const prefix = context.keys.userSessionPrefix;
  await scanNode(node, patternOf(prefix), async (keys) => {
    stats.keys.userSession += keys.length;
    await Promise.all(keys.map(async (key) => {
      const [type] = await Promise.all([node.send(["TYPE", key]), memoryOf(node, key, memory)]);
      if (type === "none") return stats.keys.userSession--;
      const ids = await membersOf(node, key, type);
      if (ids === undefined) return stats.otherIndexKeys++;
      if (type === "list" || type === "set") stats.legacyIndexes[type]++;
      stats.users++;
      const live = await liveEntries(context, key.slice(prefix.length), ids);
      stats.danglingIndexEntries += ids.length - live;
      stats.maxSessionsPerUser = Math.max(stats.maxSessionsPerUser, live);
      const bucket = PER_USER_BUCKETS.find((b) => live <= b.max) ?? PER_USER_BUCKETS[0];
      stats.sessionsPerUser[bucket.label]++;
    }));
  });
}

/**
 * Scans both namespaces on every primary. A {@linkcode CliError} when neither namespace holds a
 * key (most likely a wrong namespace or server) or when Redis fails.
 */
export async function collectStats(context: Context): Promise<Stats> {
  const stats: Stats = {
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
    memory: { bytes: null, measuredKeys: 0, exact: false },
    legacyIndexes: { list: 0, set: 0 },
    otherIndexKeys: 0,
    sessionsNeedingExpiryFix: 0,
    danglingIndexEntries: 0,
    needsMigration: false,
  };
  const sessionMemory: Memory = { bytes: 0, measured: 0, refused: false };
  const indexMemory: Memory = { bytes: 0, measured: 0, refused: false };
  try {
    for (const node of context.nodes) {
      await scanSessions(context, node, stats, sessionMemory);
      await scanIndexes(context, node, stats, indexMemory);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read the sessions: ${messageOf(error)}`);
  }
  const { session, userSession } = stats.keys;
  if (session + userSession === 0) {
    throw new CliError(
      `no key matches ${patternOf(context.keys.sessionPrefix)} or ` +
        `${patternOf(context.keys.userSessionPrefix)} at ${context.url} (check the server and ` +
        "--session-namespace / --user-session-namespace)",
    );
  }
  const estimate = (m: Memory, keys: number) =>
    m.measured === 0 ? 0 : (m.bytes / m.measured) * keys;
  stats.memory = {
    bytes: sessionMemory.refused || indexMemory.refused
      ? null
      : Math.round(estimate(sessionMemory, session) + estimate(indexMemory, userSession)),
    measuredKeys: sessionMemory.measured + indexMemory.measured,
    exact: sessionMemory.measured >= session && indexMemory.measured >= userSession,
  };
  stats.needsMigration = stats.legacyIndexes.list + stats.legacyIndexes.set +
      stats.sessionsNeedingExpiryFix + stats.danglingIndexEntries > 0;
  return stats;
}
