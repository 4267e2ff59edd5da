/**
 * `migrate [--dry-run] [--batch N]`: brings data left by the earlier adapters (and anything the
 * lazy conversion has not reached yet) to the model of the README's "Models", in two passes over
 * every primary:
 *
 * 1. every session key: given its `idle_expires` as its absolute expiry (the 1.x adapter passed
 *    the timestamp as a relative TTL, ~54 years; 2.x rounded it down to the second), or deleted
 *    when that time has passed;
 * 2. every index key: a 1.x LIST or 2.x SET converted to the sorted set by the adapter's own
 *    conversion; a sorted set rid of its dangling entries, and given an expiry if it has none.
 *
 * **Invariant.** Every write is one atomic step that decides from what it reads in that same
 * step, and makes a change the adapter itself would make (the same rules as its lazy
 * conversion): so at every moment every live session is still in its owner's index and no dead
 * session is brought back, whatever the application does meanwhile, and a step that finds its
 * key already right writes nothing. An interrupted run leaves only whole steps behind; a second
 * run finishes the work, and a run after a complete one changes nothing.
 *
 * On a single server a step is one script over the key (and, for an index, the sessions it
 * names, as the adapter's scripts do). On a Redis Cluster each script touches one key, and
 * legacy indexes are converted by the adapter's cluster conversion (`legacy.ts`, compare-and-set
 * on every key); there an index entry whose session key is missing is kept until its score
 * passes, since it may be a login in flight.
 *
 * @module
 */
import type { Command } from "./command.ts";
import type { Context } from "./context.ts";
import { count, duration, rows } from "./format.ts";
import { CliError, messageOf } from "./io.ts";
import { type Counts, indexPass, noCounts, sessionPass } from "./migrate_pass.ts";
import { startProgress } from "./progress.ts";

/** The keys scanned and the SCAN COUNT (and pipeline size) when `--batch` is not given. */
const DEFAULT_BATCH = 500;

/** The JSON summary of a run. */
export interface MigrateSummary extends Counts {
  /** True when nothing was written (the counts say what a real run would do). */
  dryRun: boolean;
  /** Keys scanned in both passes. */
  scanned: number;
  /** Changes made (or, dry, to make): the sum of the five change counts. */
  changes: number;
  /** How long the run took. */
  seconds: number;
  /** Keys scanned per second. */
  keysPerSecond: number;
}

/** The sum of the counts that are changes. @internal */
export function changesOf(counts: Counts): number {
  return counts.sessionsExpiryFixed + counts.sessionsDeleted + counts.indexesConverted +
    counts.danglingEntriesDropped + counts.indexExpiriesFixed;
}

/** The summary as text, for a terminal or a log. @internal */
export function summaryText(summary: MigrateSummary): string {
  const head = summary.dryRun
    ? `migrate --dry-run: nothing written; a real run would make ${count(summary.changes)} ` +
      `changes (${count(summary.scanned)} keys scanned in ${duration(summary.seconds)})`
    : `migrate: ${count(summary.changes)} changes, ${count(summary.scanned)} keys scanned in ` +
      `${duration(summary.seconds)} (${count(summary.keysPerSecond)} keys/s)`;
  return `${head}\n${
    rows([
      ["session keys scanned", count(summary.sessionsScanned)],
      ["expiries set to idle_expires", count(summary.sessionsExpiryFixed)],
      ["dead sessions deleted", count(summary.sessionsDeleted)],
      ["left alone (not a session)", count(summary.sessionsSkipped)],
      ["index keys scanned", count(summary.indexesScanned)],
      ["legacy indexes converted", count(summary.indexesConverted)],
      ["dangling index entries dropped", count(summary.danglingEntriesDropped)],
      ["index expiries set", count(summary.indexExpiriesFixed)],
    ])
  }\n`;
}

/** The number of keys on every primary, for the progress estimate (0 when unknown). */
async function keysInAll(context: Context): Promise<number> {
  const sizes = await Promise.all(
    context.nodes.map((node) => node.send(["DBSIZE"]).then(Number, () => 0)),
  );
  return sizes.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
}

/** Runs both passes and returns the summary. @internal */
export async function migrate(
  context: Context,
  options: { dryRun: boolean; batch: number },
): Promise<MigrateSummary> {
  const started = Date.now();
  const counts = noCounts();
  const progress = startProgress(context.io, { label: "migrate", total: await keysInAll(context) });
  const pass = { ...options, counts, onBatch: progress.add };
  try {
    progress.stage("sessions");
    await sessionPass(context, pass);
    progress.stage("indexes");
    await indexPass(context, pass);
  } finally {
    progress.end();
  }
  const seconds = (Date.now() - started) / 1000;
  const scanned = counts.sessionsScanned + counts.indexesScanned;
  return {
    dryRun: options.dryRun,
    scanned,
    changes: changesOf(counts),
    ...counts,
    seconds: Math.round(seconds * 1000) / 1000,
    keysPerSecond: seconds > 0 ? Math.round(scanned / seconds) : scanned,
  };
}

/** The `migrate` command. */
export const migrateCommand: Command = {
  name: "migrate",
  summary: "Convert legacy data to the current model: index types, expiries, dead sessions",
  usage: "migrate [--dry-run] [--batch N]",
  description:
    "Converts every index left by the earlier adapters (a 1.x list, a 2.x set) to the sorted " +
    "set, gives every session key its idle_expires as its absolute expiry, deletes the sessions " +
    "already dead, and drops dangling index entries. Each key is changed in one atomic step, " +
    "so it is safe while the application serves traffic; interrupted, run it again to finish; " +
    "run after a complete run, it changes nothing.\n\n" +
    "Progress goes to stderr (a bar on a terminal, a line every 2 s otherwise); the summary to " +
    "stdout (a JSON object with --json). --dry-run writes nothing and reports what a run would " +
    "do. --batch sets the keys per SCAN and per pipeline (default 500).",
  options: [
    { name: "dry-run", kind: "flag", help: "Write nothing; report what would change" },
    {
      name: "batch",
      kind: "integer",
      value: "<n>",
      help: `Keys per SCAN and per pipeline (default ${DEFAULT_BATCH})`,
      min: 1,
      max: 100_000,
    },
  ],
  positionals: { name: "", min: 0, max: 0 },
  async run(context, args) {
    const dryRun = args.options["dry-run"] === true;
    const batch = typeof args.options.batch === "number" ? args.options.batch : DEFAULT_BATCH;
    let summary: MigrateSummary;
    try {
      summary = await migrate(context, { dryRun, batch });
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(
        `migrate stopped: ${messageOf(error)} (every key is changed in one step: ` +
          `run it again to finish)`,
      );
    }
    context.io.stdout(context.json ? JSON.stringify(summary) + "\n" : summaryText(summary));
    return 0;
  },
};
