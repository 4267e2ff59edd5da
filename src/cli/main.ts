/**
 * The tool's entry: the table of commands, help, argument parsing, and exit codes. The host
 * (`cli.ts`) calls {@linkcode main} with a {@linkcode CliIo} and exits with what it returns.
 *
 * Exit codes: 0 success, 1 a failed check or an error (one line on stderr), 2 bad usage (one
 * line on stderr naming the problem). Never a stack trace.
 *
 * @module
 */
import { type OptionSpec, parseArgs } from "./args.ts";
import type { Command } from "./command.ts";
import type { CommonOptions } from "./context.ts";
import { withContext } from "./context.ts";
import { doctorCommand } from "./doctor.ts";
import { plural } from "./format.ts";
import { CliError, type CliIo, DEFAULT_CONNECT_TIMEOUT, messageOf, UsageError } from "./io.ts";
import { revokeCommand, revokeUserCommand } from "./revoke.ts";
import { sessionsCommand } from "./sessions.ts";
import { statsCommand } from "./stats.ts";
import { migrateCommand } from "./migrate.ts";
import { TOOL } from "./tool.ts";

/** The largest `--connect-timeout`, in ms (ten minutes): a larger value is a unit mistaken. */
const MAX_CONNECT_TIMEOUT = 600_000;

/** The commands, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  statsCommand,
  sessionsCommand,
  revokeCommand,
  revokeUserCommand,
  doctorCommand,
  migrateCommand,
];

/** The options every command takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  {
    name: "url",
    kind: "string",
    value: "<url>",
    help: "Redis URL (default: $REDIS_URL, else redis://127.0.0.1:6379; comma-separated " +
      "root nodes with --cluster)",
  },
  {
    name: "cluster",
    kind: "flag",
    help: "Connect to a Redis Cluster; scan every primary",
  },
  {
    name: "connect-timeout",
    kind: "integer",
    value: "<ms>",
    min: 1,
    max: MAX_CONNECT_TIMEOUT,
    help: `How long connecting may take until Redis answers (default: ${DEFAULT_CONNECT_TIMEOUT})`,
  },
  {
    name: "session-namespace",
    kind: "string",
    value: "<prefix>",
    help: 'Prefix of session keys (default: "session")',
  },
  {
    name: "user-session-namespace",
    kind: "string",
    value: "<prefix>",
    help: 'Prefix of user index keys (default: "userSession")',
  },
  { name: "json", kind: "flag", help: "JSON on stdout, and nothing else there" },
];

function optionLines(specs: readonly OptionSpec[]): string {
  const heads = specs.map((s) => `--${s.name}${s.value === undefined ? "" : ` ${s.value}`}`);
  const width = Math.max(...heads.map((h) => h.length), "-h, --help".length);
  return [
    ...specs.map((s, i) => `  ${heads[i].padEnd(width)}  ${s.help}`),
    `  ${"-h, --help".padEnd(width)}  Show help`,
  ].join("\n");
}

function toolHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `${TOOL}: inspect and look after the sessions @lucia-auth/adapter-session-redis keeps in Redis`,
    "",
    `Usage: ${TOOL} <command> [options]`,
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options of every command:",
    optionLines(COMMON_OPTIONS),
    "",
    `Run \`${TOOL} <command> --help\` for a command's own options.`,
    "Exit codes: 0 success, 1 a failed check or an error, 2 bad usage.",
    "",
  ].join("\n");
}

function commandHelp(command: Command): string {
  return [
    `Usage: ${TOOL} ${command.usage}`,
    "",
    command.description.trim(),
    "",
    ...(command.options.length > 0 ? ["Options:", optionLines(command.options), ""] : []),
    "Options of every command:",
    optionLines(COMMON_OPTIONS),
    "",
  ].join("\n");
}

function commonOptions(options: Record<string, string | number | boolean>): CommonOptions {
  const text = (name: string) => options[name] === undefined ? undefined : String(options[name]);
  return {
    url: text("url"),
    cluster: options.cluster === true,
    connectTimeout: typeof options["connect-timeout"] === "number"
      ? options["connect-timeout"]
      : undefined,
    sessionNamespace: text("session-namespace"),
    userSessionNamespace: text("user-session-namespace"),
    json: options.json === true,
  };
}

function checkPositionals(command: Command, given: readonly string[]): void {
  const { name, min, max } = command.positionals;
  if (given.length < min) {
    throw new UsageError(`${command.name} needs ${min === 1 ? `a ${name}` : plural(min, name)}`);
  }
  if (max !== undefined && given.length > max) {
    const what = max === 0 ? "no arguments" : `at most ${plural(max, name)}`;
    throw new UsageError(`${command.name} takes ${what}, got "${given[max] ?? given[0]}"`);
  }
}

/**
 * Runs the tool with the host's arguments, environment and writers; resolves with the exit
 * code. `commands` replaces the table (for tests).
 */
export async function main(io: CliIo, commands: readonly Command[] = COMMANDS): Promise<number> {
  const byName = new Map(commands.map((c) => [c.name, c]));
  let commandName: string | undefined;
  try {
    const args = parseArgs(
      io.args,
      (name) => [...COMMON_OPTIONS, ...(name === undefined ? [] : byName.get(name)?.options ?? [])],
      (word) => byName.has(word),
    );
    commandName = args.command;
    const command = args.command === undefined ? undefined : byName.get(args.command);
    if (args.help) {
      io.stdout(command === undefined ? toolHelp(commands) : commandHelp(command));
      return 0;
    }
    if (command === undefined) {
      throw new UsageError(`no command given (one of: ${[...byName.keys()].join(", ")})`);
    }
    checkPositionals(command, args.positionals);
    return await withContext(
      io,
      commonOptions(args.options),
      (context) => command.run(context, args),
    );
  } catch (error) {
    if (error instanceof UsageError) {
      const about = error.command ?? commandName;
      io.stderr(`${TOOL}: ${error.message} (see \`${TOOL}${about ? ` ${about}` : ""} --help\`)\n`);
      return 2;
    }
    const message = error instanceof CliError ? error.message : messageOf(error);
    io.stderr(`${TOOL}: ${withHint(message)}\n`);
    return 1;
  }
}

/**
 * The message, and what to do about it when Redis refused the credentials (never echoing
 * them: the URLs in messages have their password hidden).
 */
function withHint(message: string): string {
  const where = "in the URL: --url redis://user:password@host:port (or REDIS_URL)";
  if (/\bNOAUTH\b/.test(message)) {
    return `${message.replace(/\.?$/, ".")} The server wants a password: give it ${where}`;
  }
  if (/\bWRONGPASS\b/.test(message)) {
    return `${message.replace(/\.?$/, ".")} Check the user name and password ${where}`;
  }
  return message;
}
