/**
 * `stats`: what the adapter keeps in Redis, and what needs migrating, from a SCAN of both
 * namespaces on every primary (see stats_scan.ts). Reads only.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { bytes, count, histogram, plural, rows } from "./format.ts";
import { collectStats, PER_USER_BUCKETS, type Stats } from "./stats_scan.ts";
import { TOOL } from "./tool.ts";

/** The sessions-per-user buckets up to the last one with a user (all of them when none has). */
function perUser(s: Stats): [string, number][] {
  const buckets = PER_USER_BUCKETS.map((b): [string, number] => [
    b.label,
    s.sessionsPerUser[b.label] ?? 0,
  ]);
  let end = buckets.length;
  while (end > 2 && buckets[end - 1][1] === 0) end--;
  return buckets.every(([, n]) => n === 0) ? buckets : buckets.slice(0, end);
}

/**
 * Two lines on the other default index namespace's indexes (`user_sessions` beside
 * `userSession`, or the reverse): how many, why they matter, and the command that merges them.
 */
export function mergeAdvice(s: Stats): string[] {
  const other = s.otherIndexNamespace;
  if (other === null) return [];
  const whose = other.namespace.endsWith("user_sessions")
    ? "2.1.2's default"
    : "the 1.x adapter's default";
  return [
    `Also: "${other.namespace}" (${whose}) holds ${plural(other.indexes, "index key")} too. ` +
    `If the app reads "${s.namespaces.userSession}", signing a user out everywhere misses the ` +
    `sessions listed there: merge them into it with \`${TOOL} migrate ` +
    `--merge-user-session-namespace ${other.namespace}\` (with the namespace options of this ` +
    `run). If the app reads "${other.namespace}", run stats with ` +
    `--user-session-namespace ${other.namespace} instead.`,
  ];
}

/** The report as text, for a terminal. */
export function renderStats(s: Stats): string {
  const where = `${s.url}${s.cluster ? ` (${plural(s.nodes, "primary", "primaries")})` : ""}`;
  const memory = s.memory.bytes === null
    ? "unknown (MEMORY USAGE refused)"
    : `${s.memory.exact ? "" : "~"}${bytes(s.memory.bytes)}` +
      (s.memory.exact ? "" : ` (from ${plural(s.memory.measuredKeys, "key")} measured)`);
  const m = s.migration;
  const todo: [string, string][] = [
    ["expiries set to idle_expires", count(m.sessionsExpiryFixed)],
    ["dead sessions deleted", count(m.sessionsDeleted)],
    [
      `legacy indexes converted (1.x lists ${count(s.legacyIndexes.list)}, 2.x sets ` +
      `${count(s.legacyIndexes.set)})`,
      count(m.indexesConverted),
    ],
    ["dangling index entries dropped", count(m.danglingEntriesDropped)],
    ["index expiries set", count(m.indexExpiriesFixed)],
  ];
  const odd: [string, number][] = [
    ["sessions past idle expiry, still stored", s.expiredSessions],
    ["tombstones", s.tombstones],
    ["session keys holding no session", s.unreadableSessionKeys],
    ["index keys of another type", s.otherIndexKeys],
  ];
  const empty = s.keys.session + s.keys.userSession === 0;
  const lines = [
    `Sessions at ${where}, namespaces "${s.namespaces.session}" and "${s.namespaces.userSession}"`,
    ...(empty
      ? [
        "  (no key under either namespace: check the server and --session-namespace / " +
        "--user-session-namespace if you expected some)",
      ]
      : []),
    rows([
      ["live sessions", count(s.sessions)],
      ["users with an index", count(s.users)],
      ["most live sessions of one user", count(s.maxSessionsPerUser)],
      ["memory", memory],
      ...odd.filter(([, n]) => n > 0).map(([label, n]): [string, string] => [label, count(n)]),
    ]),
    "",
    "Live sessions per user (users by the live sessions in their index)",
    histogram(perUser(s)),
    "",
    "Idle expiry of live sessions",
    histogram([
      ["within an hour", s.expiry.withinHour],
      ["within a day", s.expiry.withinDay],
      ["within a week", s.expiry.withinWeek],
      ["later", s.expiry.later],
    ]),
    "",
    s.needsMigration
      ? `Needs migrating: ${count(m.changes)} change${m.changes === 1 ? "" : "s"}, as ` +
        `\`${TOOL} migrate --dry-run\` reports them (run \`${TOOL} migrate\`)`
      : "Needs migrating: nothing",
    ...(s.needsMigration ? [rows(todo)] : []),
    ...(s.otherIndexNamespace === null ? [] : ["", ...mergeAdvice(s)]),
    "",
  ];
  return lines.join("\n");
}

/** The `stats` command. */
export const statsCommand: Command = {
  name: "stats",
  summary: "Count sessions, users, expiries and memory; say what needs migrating",
  usage: "stats [--json]",
  description: `
SCANs both namespaces on every primary (with --cluster) and reports the live sessions (a key
holding its user's session whose idle expiry is ahead), the users with an index, live sessions
per user, how soon sessions expire, the memory they take (MEMORY USAGE, measured on up to 1,000
keys of each kind and extrapolated), and what needs migrating: the changes migrate --dry-run
reports (a dry run of migrate is part of stats, so the figures are the same). When the other
default index namespace (user_sessions beside userSession, or the reverse) also holds indexes,
says how many and how to merge them.

With --json, the same as one object: sessions, users, sessionsPerUser, maxSessionsPerUser,
expiry, memory, legacyIndexes { list, set }, migration { sessionsExpiryFixed, sessionsDeleted,
indexesConverted, danglingEntriesDropped, indexExpiriesFixed, changes }, needsMigration,
otherIndexNamespace, and more. Reads only; an empty namespace gives zeros (exit 0).`,
  options: [],
  positionals: { name: "argument", min: 0, max: 0 },
  async run(context) {
    const stats = await collectStats(context);
    context.io.stdout(context.json ? JSON.stringify(stats, null, 2) + "\n" : renderStats(stats));
    return 0;
  },
};
