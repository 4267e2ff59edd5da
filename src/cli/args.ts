/**
 * A small argument parser: `--name value`, `--name=value`, boolean flags, `-h`, and `--` to end
 * the options. Options may come before or after the command. Anything it does not know is a
 * {@linkcode UsageError} naming the problem.
 *
 * @module
 */
import { UsageError } from "./io.ts";

/** One option a command accepts. */
export interface OptionSpec {
  /** Its name without the dashes: `url` for `--url`. */
  readonly name: string;
  /** `flag` takes no value; `string` and `integer` take one. */
  readonly kind: "flag" | "string" | "integer";
  /** The value's placeholder in help: `<url>`. */
  readonly value?: string;
  /** One line of help. */
  readonly help: string;
  /** Bounds of an integer value (inclusive). */
  readonly min?: number;
  /** Upper bound of an integer value (inclusive). */
  readonly max?: number;
}

/** What the parser found. */
export interface ParsedArgs {
  /** The command (the first positional argument), if any. */
  readonly command: string | undefined;
  /** The positional arguments after the command. */
  readonly positionals: string[];
  /** The options given, by name: `true` for a flag, a string or a number otherwise. */
  readonly options: Record<string, string | number | boolean>;
  /** True when `-h` or `--help` was given. */
  readonly help: boolean;
}

function convert(spec: OptionSpec, raw: string, command: string | undefined): string | number {
  if (spec.kind === "string") {
    if (raw === "") throw new UsageError(`--${spec.name} needs a non-empty value`, command);
    return raw;
  }
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) {
    throw new UsageError(`--${spec.name} takes a whole number, got "${raw}"`, command);
  }
  if (
    (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)
  ) {
    throw new UsageError(
      `--${spec.name} must be between ${spec.min ?? 0} and ${spec.max ?? "any"}, got ${value}`,
      command,
    );
  }
  return value;
}

/**
 * Parses `argv`. `optionsFor(command)` lists the options allowed once the command is known
 * (`undefined` before it: the global options); `isCommand` tells whether a word is a command,
 * so that an unknown one is reported as such.
 */
export function parseArgs(
  argv: readonly string[],
  optionsFor: (command: string | undefined) => readonly OptionSpec[],
  isCommand: (word: string) => boolean,
): ParsedArgs {
  let command: string | undefined;
  const positionals: string[] = [];
  const options: Record<string, string | number | boolean> = {};
  let help = false;
  let rest = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (rest || arg === "-" || !arg.startsWith("-")) {
      if (command === undefined) {
        if (!isCommand(arg)) throw new UsageError(`unknown command "${arg}"`);
        command = arg;
      } else positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      rest = true;
      continue;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      throw new UsageError(`unknown option "${arg}"`, command);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = optionsFor(command).find((s) => s.name === name);
    if (spec === undefined) {
      const where = command === undefined ? "" : ` for ${command}`;
      throw new UsageError(`unknown option "--${name}"${where}`, command);
    }
    if (spec.kind === "flag") {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`, command);
      options[name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new UsageError(`--${name} needs a value ${spec.value ?? ""}`.trimEnd(), command);
      }
      raw = next;
      i++;
    }
    options[name] = convert(spec, raw, command);
  }
  return { command, positionals, options, help };
}
