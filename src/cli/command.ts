/**
 * The shape of one command of the tool: its name, help, options, and what it runs. The tool's
 * entry (`main.ts`) lists the commands, parses the arguments against them, opens Redis, and turns
 * errors into exit codes.
 *
 * @module
 */
import type { OptionSpec, ParsedArgs } from "./args.ts";
import type { Context } from "./context.ts";

/** One command of the tool. */
export interface Command {
  /** The word that selects it: `stats`, `migrate`. */
  readonly name: string;
  /** One line for the tool's help. */
  readonly summary: string;
  /** The synopsis after the tool's name: `migrate [--dry-run] [--batch N]`. */
  readonly usage: string;
  /** A paragraph or two for the command's own `--help`. */
  readonly description: string;
  /** The options of this command alone (the common ones are added by the tool). */
  readonly options: readonly OptionSpec[];
  /** How many positional arguments it takes, and what they are called in messages. */
  readonly positionals: { readonly name: string; readonly min: number; readonly max?: number };
  /**
   * Runs the command on an open context; resolves with the exit code (0 success, 1 a failed
   * check). Throws a `UsageError` (exit 2) or a `CliError` (exit 1) for the tool to report.
   */
  run(context: Context, args: ParsedArgs): Promise<number>;
}
