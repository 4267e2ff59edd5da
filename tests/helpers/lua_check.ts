/**
 * A static look at a Lua script's source, for tests/lua_scripts.test.ts: the names it uses that
 * nothing in it defines (Redis would fail only when the path that reaches one runs), and the
 * commands it runs.
 *
 * @module
 */

const KEYWORDS = new Set(
  ("and break do else elseif end false for function if in local nil not or repeat return then " +
    "true until while").split(" "),
);

/** Globals Redis's Lua (5.1) gives every script. */
const BUILTINS = new Set(
  ("redis KEYS ARGV cjson cmsgpack bit struct math string table tonumber tostring type pairs " +
    "ipairs unpack select pcall xpcall error assert next rawget rawset rawequal setmetatable " +
    "getmetatable loadstring _G os").split(" "),
);

/** The source with comments removed and every string literal replaced by `""`. */
export function stripLua(source: string): string {
  let out = "";
  for (let i = 0; i < source.length;) {
    const rest = source.slice(i);
    const long = /^(--)?\[(=*)\[/.exec(rest);
    if (long) {
      const close = source.indexOf(`]${long[2]}]`, i + long[0].length);
      const end = close < 0 ? source.length : close + long[2].length + 2;
      out += long[1] ? " " : '""';
      i = end;
      continue;
    }
    if (rest.startsWith("--")) {
      const eol = source.indexOf("\n", i);
      i = eol < 0 ? source.length : eol;
      continue;
    }
    const c = source[i];
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      out += '""';
      i = j + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** The names a script references that it never defines and Redis does not provide. */
export function undefinedNames(source: string): string[] {
  const code = stripLua(source);
  const declared = new Set<string>();
  const declare = (list: string) => {
    for (const name of list.split(",")) {
      const n = name.trim();
      if (/^[A-Za-z_]\w*$/.test(n)) declared.add(n);
    }
  };
  for (const m of code.matchAll(/\blocal\s+function\s+([A-Za-z_]\w*)/g)) declared.add(m[1]);
  for (const m of code.matchAll(/\blocal\s+(?!function\b)([A-Za-z_][\w\s,]*?)(?==|\n|$)/g)) {
    declare(m[1]);
  }
  for (const m of code.matchAll(/\bfunction\b[\w.:\s]*\(([^)]*)\)/g)) declare(m[1]);
  for (const m of code.matchAll(/\bfor\s+([\w\s,]+?)\s*(?:=|\bin\b)/g)) declare(m[1]);
  const missing = new Set<string>();
  for (const m of code.matchAll(/[A-Za-z_]\w*/g)) {
    const name = m[0], at = m.index!;
    if (KEYWORDS.has(name) || BUILTINS.has(name) || declared.has(name)) continue;
    const before = code.slice(0, at).trimEnd();
    if (before.endsWith(".") || before.endsWith(":")) continue; // a field or method
    if (/[0-9]$/.test(code.slice(0, at))) continue; // part of a number such as 1e5
    const after = code.slice(at + name.length).trimStart();
    if ((before.endsWith("{") || before.endsWith(",")) && /^=(?!=)/.test(after)) continue;
    missing.add(name);
  }
  return [...missing].sort();
}

/** The commands a script's source names in `redis.call`/`redis.pcall` (also when passed on). */
export function commandsRun(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/redis\.p?call\s*[(,]\s*'([A-Za-z_]+)'/g)) {
    found.add(m[1].toUpperCase());
  }
  return [...found].sort();
}
