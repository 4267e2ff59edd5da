/**
 * `migrate [--dry-run] [--batch N] [--merge-user-session-namespace NS] [--to 2.1.2]`: brings data
 * left by the earlier adapters to the model of docs/models.md in passes over every
 * primary (session keys, then index keys, then the merge), each write one atomic step the adapter
 * itself would make; `--to 2.1.2` goes the other way (`migrate_back.ts`). ARCHITECTURE.md,
 * "migrate", gives the passes and the invariant they keep.
 *
 * @module
 */
import { isWellFormed } from "../core/session.ts";
import type { Command } from "./command.ts";
import type { Context } from "./context.ts";
import { count, duration, plural, rows } from "./format.ts";
import { CliError, messageOf, UsageError } from "./io.ts";
import {
  BACK_TO,
  backChangesOf,
  backSummaryText,
  type MigrateBackSummary,
  noBackCounts,
  setIndexPass,
  setSessionPass,
} from "./migrate_back.ts";
import { type Counts, indexPass, mergePass, noCounts, sessionPass } from "./migrate_pass.ts";
import { startProgress } from "./progress.ts";

/**
 * The keys scanned and the SCAN COUNT (and pipeline size) when `--batch` is not given: few
 * round trips per thousand keys, and a batch's scripts hold the server for milliseconds at most.
 */
const DEFAULT_BATCH = 500;

/** The largest `--batch`: a batch's keys and replies are held in the tool's memory at once. */
const MAX_BATCH = 100_000;

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
  /** The namespace merged from (`--merge-user-session-namespace`), when given. */
  mergedFrom?: string;
}

/** The sum of the counts that are changes. @internal */
export function changesOf(counts: Counts): number {
  return counts.sessionsExpiryFixed + counts.sessionsDeleted + counts.indexesConverted +
    counts.danglingEntriesDropped + counts.indexExpiriesFixed + counts.indexesMerged;
}

/** The summary as text, for a terminal or a log. @internal */
export function summaryText(summary: MigrateSummary): string {
  const head = summary.dryRun
    ? `migrate --dry-run: nothing written; a real run would make ` +
      `${plural(summary.changes, "change")} (${plural(summary.scanned, "key")} scanned in ${
        duration(summary.seconds)
      })`
    : `migrate: ${plural(summary.changes, "change")}, ${
      plural(summary.scanned, "key")
    } scanned in ` +
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
      ...(summary.mergedFrom === undefined
        ? []
        : [[`indexes merged from "${summary.mergedFrom}"`, count(summary.indexesMerged)]] as [
          string,
          string,
        ][]),
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

/** How a run goes. @internal */
export interface MigrateOptions {
  readonly dryRun: boolean;
  readonly batch: number;
  /** A second index namespace to merge into the context's (`--merge-user-session-namespace`). */
  readonly mergeFrom?: string;
}

/** Runs the passes and returns the summary. @internal */
export async function migrate(
  context: Context,
  options: MigrateOptions,
): Promise<MigrateSummary> {
  const started = Date.now();
  const counts = noCounts();
  const progress = startProgress(context.io, { label: "migrate", total: await keysInAll(context) });
  const pass = { dryRun: options.dryRun, batch: options.batch, counts, onBatch: progress.add };
  try {
    progress.stage("sessions");
    await sessionPass(context, pass);
    progress.stage("indexes");
    await indexPass(context, pass);
    if (options.mergeFrom !== undefined) {
      progress.stage("merge");
      await mergePass(context, { ...pass, fromPrefix: `${options.mergeFrom}:` });
    }
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
    ...(options.mergeFrom === undefined ? {} : { mergedFrom: options.mergeFrom }),
  };
}

/** Runs `migrate --to 2.1.2`'s passes and returns the summary. @internal */
export async function migrateBack(
  context: Context,
  options: { dryRun: boolean; batch: number },
): Promise<MigrateBackSummary> {
  const started = Date.now();
  const counts = noBackCounts();
  const progress = startProgress(context.io, { label: "migrate", total: await keysInAll(context) });
  const pass = { ...options, counts, onBatch: progress.add };
  try {
    progress.stage("indexes");
    await setIndexPass(context, pass);
    progress.stage("sessions");
    await setSessionPass(context, pass);
  } finally {
    progress.end();
  }
  const seconds = (Date.now() - started) / 1000;
  const scanned = counts.sessionsScanned + counts.indexesScanned;
  return {
    to: BACK_TO,
    dryRun: options.dryRun,
    scanned,
    changes: backChangesOf(counts),
    ...counts,
    seconds: Math.round(seconds * 1000) / 1000,
    keysPerSecond: seconds > 0 ? Math.round(scanned / seconds) : scanned,
  };
}

/**
 * The merge namespace, checked against the command's other two: a UsageError when it is the
 * target's, or when one namespace followed by `:` starts another (one key would be in both).
 */
function mergeNamespaceOf(context: Context, given: unknown): string | undefined {
  if (given === undefined) return undefined;
  const from = String(given);
  const option = "--merge-user-session-namespace";
  const { session, userSession } = context.namespaces;
  for (
    const [other, name] of [[session, "--session-namespace"], [
      userSession,
      "--user-session-namespace",
    ]]
  ) {
    if (`${from}:`.startsWith(`${other}:`) || `${other}:`.startsWith(`${from}:`)) {
      throw new UsageError(
        `${option} "${from}" and ${name} "${other}" ${
          from === other ? "are the same namespace" : "collide: a key could belong to both"
        }`,
        "migrate",
      );
    }
  }
  if (!isWellFormed(from)) {
    throw new UsageError(`${option} contains a lone UTF-16 surrogate`, "migrate");
  }
  return from;
}

/** The `migrate` command. */
export const migrateCommand: Command = {
  name: "migrate",
  summary: "Convert legacy data to the current model (or, with --to 2.1.2, back to 2.1.2's)",
  usage: "migrate [--dry-run] [--batch N] [--merge-user-session-namespace <prefix>] [--to 2.1.2]",
  description:
    "Converts every index left by the earlier adapters (a 1.x list, a 2.x set) to the sorted " +
    "set, gives every session key its idle_expires as its absolute expiry, deletes the sessions " +
    "already dead, and drops dangling index entries. Each key is changed in one atomic step, " +
    "so it is safe while the application serves traffic; interrupted, run it again to finish; " +
    "run after a complete run, it changes nothing.\n\n" +
    "--merge-user-session-namespace <prefix> also merges the indexes of that second namespace " +
    "into those of --user-session-namespace, one user at a time, and deletes them (an app that " +
    "went from lucia-auth 1.x to 2.1.2 with the defaults has indexes under both userSession and " +
    "user_sessions).\n\n" +
    "--to 2.1.2 goes back instead: every index under --user-session-namespace (required: 2.1.2's " +
    "default is user_sessions) becomes the plain set of live session ids that " +
    "@lucia-auth/adapter-session-redis 2.1.2 reads and writes, with no expiry, and every live " +
    "session missing from its user's set is added to it. Run it, deploy 2.1.2, and run it " +
    "again: this adapter turns a set back into its sorted set when it next writes there, and " +
    "2.1.2 fails a login against a sorted set, having stored the session; the second run " +
    "converts those indexes and adds such sessions to their sets.\n\n" +
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
      max: MAX_BATCH,
    },
    {
      name: "merge-user-session-namespace",
      kind: "string",
      value: "<prefix>",
      help: "Also merge this namespace's indexes into --user-session-namespace's",
    },
    {
      name: "to",
      kind: "string",
      value: "<version>",
      help: `Go back to the data model of ${BACK_TO} (the only value)`,
    },
  ],
  positionals: { name: "", min: 0, max: 0 },
  async run(context, args) {
    const dryRun = args.options["dry-run"] === true;
    const batch = typeof args.options.batch === "number" ? args.options.batch : DEFAULT_BATCH;
    const to = args.options.to;
    if (to !== undefined) checkBack(String(to), args.options);
    const mergeFrom = mergeNamespaceOf(context, args.options["merge-user-session-namespace"]);
    let summary: MigrateSummary | MigrateBackSummary;
    try {
      summary = to === undefined
        ? await migrate(context, { dryRun, batch, mergeFrom })
        : await migrateBack(context, { dryRun, batch });
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(
        `migrate stopped: ${messageOf(error)} (every key is changed in one step: ` +
          `run it again to finish)`,
      );
    }
    const text = "to" in summary ? backSummaryText(summary) : summaryText(summary);
    context.io.stdout(context.json ? JSON.stringify(summary) + "\n" : text);
    return 0;
  },
};

/** `--to`'s checks: the one version, and the options it needs and refuses. */
function checkBack(to: string, options: Readonly<Record<string, unknown>>): void {
  if (to !== BACK_TO) {
    throw new UsageError(
      `--to takes ${BACK_TO}, the one version migrate can go back to, got "${to}"`,
      "migrate",
    );
  }
  if (options["merge-user-session-namespace"] !== undefined) {
    throw new UsageError(
      "--merge-user-session-namespace goes with a migration forward, not with --to (which adds " +
        "every live session to its user's set, whichever index listed it)",
      "migrate",
    );
  }
  if (options["user-session-namespace"] === undefined) {
    throw new UsageError(
      `--to ${BACK_TO} needs --user-session-namespace: the namespace ${BACK_TO} reads ` +
        `(its default is user_sessions; this tool's default, userSession, is the Lucia v1 entry's)`,
      "migrate",
    );
  }
}
