/**
 * The section of research/RESULTS.md on `adapter-session-redis migrate` (research/migrate.ts): keys per
 * second over legacy data, for a dry run, the run, and a second run with nothing left to do.
 *
 * @module
 */
import type { MigrateSummary } from "../../src/cli/migrate.ts";
import { fmtInt, fmtNum, table } from "../../bench/report/format.ts";

/** What research/migrate.ts writes. */
export interface MigrateResult {
  date: string;
  sessions: number;
  users: number;
  batch: number;
  redis: string;
  /** Seeding the legacy data: how long, and the keys it made. */
  seeded: { seconds: number; keys: number };
  /** `used_memory` before the first run and after the last. */
  memory: { before: number; after: number };
  keysAfter: number;
  /** The summaries of `migrate --json`, by run: "dry run", "run", "second run". */
  runs: Record<string, MigrateSummary>;
}

const MB = (n: number) => `${fmtNum(n / 1024 / 1024)} MB`;

/** Renders the section, or nothing when the run left migrate out. */
export function migrateSection(m: MigrateResult | undefined): string[] {
  if (!m) return [];
  const rows = Object.entries(m.runs).map(([name, s]) => [
    name,
    fmtInt(s.scanned),
    fmtInt(s.changes),
    fmtInt(s.sessionsExpiryFixed),
    fmtInt(s.sessionsDeleted),
    fmtInt(s.indexesConverted),
    fmtInt(s.danglingEntriesDropped),
    fmtNum(s.seconds, 2),
    fmtInt(s.keysPerSecond),
  ]);
  return [
    `## migrate: ${fmtInt(m.sessions)} legacy sessions`,
    "",
    `\`adapter-session-redis migrate\` (through the tool's own code and connection, node-redis 5, ` +
    `batch ${m.batch}) over ${fmtInt(m.sessions)} sessions of ${fmtInt(m.users)} users on a ` +
    `private Redis ${m.redis}: half the users written as lucia-auth 1.x's adapter did (a LIST ` +
    "index, the idle expiry passed as a relative `EX`, so a ~54-year TTL), half as 2.1.2 did (a " +
    "SET index, `EXAT`), one session in ten already dead. Seeding made " +
    `${fmtInt(m.seeded.keys)} keys in ${fmtNum(m.seeded.seconds)} s.`,
    "",
    table(
      [
        "run",
        "keys scanned",
        "changes",
        "expiries set",
        "dead deleted",
        "indexes converted",
        "dangling dropped",
        "s",
        "keys/s",
      ],
      rows,
    ),
    "",
    `The dry run sends only reads and predicts the run's counts; the second run finds nothing to ` +
    `change. Redis memory (\`used_memory\`): ${MB(m.memory.before)} before, ` +
    `${MB(m.memory.after)} after; keys ${fmtInt(m.seeded.keys)} → ${fmtInt(m.keysAfter)}. ` +
    "Rerun with `deno task bench:migrate` (`--sessions N`, `--batch N`, `--smoke`).",
    "",
  ];
}
