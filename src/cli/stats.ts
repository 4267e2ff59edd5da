/**
 * `stats`: what the adapter keeps in Redis, and what needs migrating, from a SCAN of both
 * namespaces on every primary (see stats_scan.ts). Reads only.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { bytes, count, histogram, rows } from "./format.ts";
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

/** The report as text, for a terminal. */
export function renderStats(s: Stats): string {
  const where = `${s.url}${s.cluster ? ` (${count(s.nodes)} primaries)` : ""}`;
  const memory = s.memory.bytes === null
    ? "unknown (MEMORY USAGE refused)"
    : `${s.memory.exact ? "" : "~"}${bytes(s.memory.bytes)}` +
      (s.memory.exact ? "" : ` (from ${count(s.memory.measuredKeys)} keys measured)`);
  const todo: [string, number][] = [
    ["1.x index lists", s.legacyIndexes.list],
    ["2.x index sets", s.legacyIndexes.set],
    ["session keys with no TTL or a TTL past idle_expires", s.sessionsNeedingExpiryFix],
    ["index entries whose session is gone", s.danglingIndexEntries],
  ];
  const odd: [string, number][] = [
    ["sessions past idle expiry, still stored", s.expiredSessions],
    ["tombstones", s.tombstones],
    ["session keys holding no session", s.unreadableSessionKeys],
    ["index keys of another type", s.otherIndexKeys],
  ];
  const lines = [
    `Sessions at ${where}, namespaces "${s.namespaces.session}" and "${s.namespaces.userSession}"`,
    rows([
      ["live sessions", count(s.sessions)],
      ["users with an index", count(s.users)],
      ["most sessions of one user", count(s.maxSessionsPerUser)],
      ["memory", memory],
      ...odd.filter(([, n]) => n > 0).map(([label, n]): [string, string] => [label, count(n)]),
    ]),
    "",
    "Live sessions per user (users by the number of sessions in their index)",
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
    s.needsMigration ? `Needs migrating (run \`${TOOL} migrate\`)` : "Needs migrating: nothing",
    ...(s.needsMigration
      ? [rows(todo.map(([label, n]): [string, string] => [label, count(n)]))]
      : []),
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
SCANs both namespaces on every primary (with --cluster) and reports the live sessions, the
users with an index, sessions per user, how soon sessions expire, the memory they take
(MEMORY USAGE, measured on up to 1,000 keys of each kind and extrapolated), and what the
migrate command would fix: index lists (1.x) and sets (2.x), session keys with no TTL or a TTL
past their idle expiry, and index entries whose session is gone.

With --json, the same as one object: sessions, users, sessionsPerUser, maxSessionsPerUser,
expiry, memory, legacyIndexes { list, set }, sessionsNeedingExpiryFix, danglingIndexEntries,
needsMigration, and more. Reads only; fails (exit 1) when no key matches either namespace.`,
  options: [],
  positionals: { name: "argument", min: 0, max: 0 },
  async run(context) {
    const stats = await collectStats(context);
    context.io.stdout(context.json ? JSON.stringify(stats, null, 2) + "\n" : renderStats(stats));
    return 0;
  },
};
