/**
 * Lua as checked definitions. A helper declares the helpers it calls and the commands it may run;
 * a script declares its keys and arguments by name, the helpers it uses and the commands its own
 * body runs. A script's source is assembled by resolving its helpers' dependencies (each helper
 * once, every helper before its users), so the order in which a script lists them does not
 * matter and a helper can never be left out. Call sites pass keys and arguments by name.
 *
 * `tests/lua_scripts.test.ts` loads every script into Redis and checks that each one defines
 * every global it references, runs only commands its definition declares, and calls `unpack`
 * only through the chunked helpers.
 *
 * @module
 */

/** A Lua helper: one `local function` (or local value) that scripts include. @internal */
export interface LuaHelper {
  /** The name the helper defines, which its users call. */
  readonly name: string;
  /** The helpers its source calls. */
  readonly needs: readonly LuaHelper[];
  /** The commands its source may run (`redis.call`/`redis.pcall`), in upper case. */
  readonly commands: readonly string[];
  /** The Lua source, defining `name`. */
  readonly source: string;
  /**
   * True for a helper whose needs are compiled inside it, not beside it: they are instantiated
   * (closures made) only the first time in a call that the helper reaches for them, as
   * `<name>_need().<need>`. For a helper whose common path needs nothing of them.
   */
  readonly inner?: boolean;
}

/** Defines a helper. @internal */
export function helper(
  name: string,
  needs: readonly LuaHelper[],
  commands: readonly string[],
  source: string,
  options: { inner?: boolean } = {},
): LuaHelper {
  return { name, needs, commands, source: source.trim(), inner: options.inner === true };
}

/**
 * Every helper `uses` needs, each once, dependencies first.
 *
 * @internal
 */
export function resolveHelpers(uses: readonly LuaHelper[]): LuaHelper[] {
  const order: LuaHelper[] = [];
  const state = new Map<LuaHelper, "visiting" | "done">();
  const visit = (item: LuaHelper, path: readonly string[]) => {
    const seen = state.get(item);
    if (seen === "done") return;
    if (seen === "visiting") {
      throw new Error(`Lua helpers depend on each other in a cycle: ${[...path, item.name]}`);
    }
    state.set(item, "visiting");
    if (!item.inner) { for (const need of item.needs) visit(need, [...path, item.name]); }
    state.set(item, "done");
    order.push(item);
  };
  for (const item of uses) visit(item, []);
  return order;
}

/**
 * The Lua of resolved helpers, in order: an inner helper's needs go into a closure of its own,
 * made on its first use in a call.
 */
function emit(helpers: readonly LuaHelper[]): string {
  return helpers.map((h) => {
    if (!h.inner) return h.source;
    const needs = resolveHelpers(h.needs);
    const names = needs.map((n) => `${n.name} = ${n.name}`).join(", ");
    return `local ${h.name}_lib
local function ${h.name}_need()
  if not ${h.name}_lib then
    ${h.name}_lib = (function()
${emit(needs)}
      return { ${names} }
    end)()
  end
  return ${h.name}_lib
end
${h.source}`;
  }).join("\n");
}

/** Every command a helper may run, its needs' (inner ones included) with its own. */
function commandsOf(h: LuaHelper): string[] {
  return [...h.commands, ...h.needs.flatMap(commandsOf)];
}

/** What {@linkcode defineScript} takes. @internal */
export interface ScriptSpec<K extends string, A extends string> {
  /** The script's name, as errors and commandstats name it. */
  readonly name: string;
  /** Its keys, in the order of `KEYS`; the body reads each as a local of that name. */
  readonly keys: readonly K[];
  /** Its arguments, in the order of `ARGV`; the body reads each as a local of that name. */
  readonly args: readonly A[];
  /**
   * A name for the keys after the named ones (`KEYS[#keys + 1 ..]`) or the arguments after the
   * named ones: the body reads them as a Lua table of that name. At most one of the two.
   */
  readonly restKeys?: string;
  /** See `restKeys`. */
  readonly restArgs?: string;
  /** The helpers its body calls. */
  readonly uses: readonly LuaHelper[];
  /** The commands its body runs itself, in upper case. */
  readonly commands: readonly string[];
  /**
   * A lazy script compiles its helpers into a closure made on first use: its body reaches them
   * as `need().name`, and its common path creates no helper closures.
   */
  readonly lazy?: boolean;
  /** The body, after the locals for its keys and arguments. */
  readonly body: string;
}

/** A script ready to run: its spec, its whole source, and every command it may run. @internal */
export interface ScriptDefinition<K extends string = string, A extends string = string>
  extends ScriptSpec<K, A> {
  /** The whole Lua source, as sent with `EVAL`. */
  readonly source: string;
  /** Every command the script and its helpers may run, sorted. */
  readonly allCommands: readonly string[];
}

const IDENTIFIER = /^[a-z_][a-zA-Z0-9_]*$/;

function locals(names: readonly string[], table: "KEYS" | "ARGV"): string {
  if (names.length === 0) return "";
  return `local ${names.join(", ")} = ${names.map((_, i) => `${table}[${i + 1}]`).join(", ")}\n`;
}

function rest(name: string | undefined, from: number, table: "KEYS" | "ARGV"): string {
  if (name === undefined) return "";
  return `local ${name} = {}\nfor i = ${
    from + 1
  }, #${table} do ${name}[i - ${from}] = ${table}[i] end\n`;
}

/**
 * Defines a script: assembles its source from its helpers (dependencies resolved) and its body,
 * with a local for each named key and argument.
 *
 * @internal
 */
export function defineScript<K extends string, A extends string>(
  spec: ScriptSpec<K, A>,
): ScriptDefinition<K, A> {
  for (const name of [...spec.keys, ...spec.args, spec.restKeys, spec.restArgs]) {
    if (name !== undefined && !IDENTIFIER.test(name)) {
      throw new Error(`Lua script ${spec.name}: "${name}" is not a Lua local's name`);
    }
  }
  if (spec.restKeys !== undefined && spec.restArgs !== undefined) {
    throw new Error(`Lua script ${spec.name}: rest keys and rest arguments together`);
  }
  const helpers = resolveHelpers(spec.uses);
  const prelude = locals(spec.keys, "KEYS") + locals(spec.args, "ARGV") +
    rest(spec.restKeys, spec.keys.length, "KEYS") + rest(spec.restArgs, spec.args.length, "ARGV");
  const code = emit(helpers);
  let source: string;
  if (spec.lazy) {
    const names = helpers.map((h) => `${h.name} = ${h.name}`).join(", ");
    source = `local lib
local function need()
  if not lib then
    lib = (function()
${code}
      return { ${names} }
    end)()
  end
  return lib
end
${prelude}${spec.body.trim()}
`;
  } else {
    source = `${code}\n${prelude}${spec.body.trim()}\n`;
  }
  const allCommands = [
    ...new Set([...spec.commands, ...helpers.flatMap(commandsOf)]),
  ].sort();
  return { ...spec, source, allCommands };
}

/** The keys and arguments of one call of a script, by name. @internal */
export interface ScriptCall<K extends string, A extends string> {
  /** Each named key. */
  readonly keys: Readonly<Record<K, string>>;
  /** Each named argument. */
  readonly args: Readonly<Record<A, string>>;
  /** The rest keys or arguments, when the script names some. */
  readonly rest?: readonly string[];
}

/**
 * The `KEYS` and `ARGV` arrays of one call, in the definition's order.
 *
 * @internal
 */
export function scriptArrays<K extends string, A extends string>(
  definition: ScriptDefinition<K, A>,
  call: ScriptCall<K, A>,
): { keys: string[]; args: string[] } {
  const keys = definition.keys.map((name) => call.keys[name]);
  const args = definition.args.map((name) => call.args[name]);
  const rest = call.rest ?? [];
  return {
    keys: definition.restKeys === undefined ? keys : keys.concat(rest),
    args: definition.restArgs === undefined ? args : args.concat(rest),
  };
}
