/**
 * The layers of src/: every folder is a layer, imports point one way (the table below, the same
 * as ARCHITECTURE.md's), and no file reaches itself through its imports. Read from the source
 * text: every relative `import … from`, `export … from`, `import "…"` and `import("…")`, type
 * imports included. Nothing runs, so this holds on Deno and on Bun alike.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Each layer and the layers it may import (itself always). Nothing imports `cli`. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: [],
  clients: ["core"],
  lua: ["core"],
  store: ["clients", "lua", "core"],
  adapter: ["store", "clients", "core"],
  cli: ["public", "adapter", "store", "lua", "clients", "core"],
  public: ["adapter", "clients", "core"],
  host: ["public", "cli"],
};

/** The layer of a file (a path from the repository's root, with `/`), or undefined for none. */
function layerOf(file: string): string | undefined {
  if (file === "mod.ts" || file === "v2.ts") return "public";
  if (file === "cli.ts") return "host";
  const folder = /^src\/([^/]+)\//.exec(file)?.[1];
  return folder !== undefined && folder in MAY_IMPORT && folder !== "public" && folder !== "host"
    ? folder
    : undefined;
}

const SPECIFIER = /(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;
/** A `// @ts-types="…"` pragma: the types of the import below it come from that file. */
const TYPES_PRAGMA = /^\s*\/\/\s*@ts-types=["'](\.{1,2}\/[^"']+)["']/gm;
/** Comments that open a line (JSDoc examples name modules too), left out before reading. */
const COMMENTS = /^\s*\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm;

/** The relative specifiers a file imports from. */
function specifiers(text: string): string[] {
  return [
    ...[...text.matchAll(TYPES_PRAGMA)].map((match) => match[1]),
    ...[...text.replace(COMMENTS, "").matchAll(SPECIFIER)].map((match) => match[1]),
  ];
}

/** The files of this repository that each file imports (relative specifiers, resolved). */
function importGraph(sources: Record<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, text] of Object.entries(sources)) {
    const targets = specifiers(text).map((specifier) =>
      path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier))
    );
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every import that breaks the table, as "from -> to (why)". */
function layerViolations(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    if (from === undefined) {
      found.push(`${file} is in no layer (a folder of MAY_IMPORT)`);
      continue;
    }
    for (const target of targets) {
      if (!graph.has(target)) {
        found.push(`${file} -> ${target} (a file this check did not read)`);
        continue;
      }
      const to = layerOf(target);
      if (to === from || (to !== undefined && MAY_IMPORT[from].includes(to))) continue;
      found.push(`${file} -> ${target} (${from} may not import ${to ?? "it"})`);
    }
  }
  return found;
}

/** One circle of imports, as the files around it (the first repeated last), or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const trail: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === "done") return undefined;
    if (state.get(file) === "open") return [...trail.slice(trail.indexOf(file)), file];
    state.set(file, "open");
    trail.push(file);
    for (const target of graph.get(file) ?? []) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(file, "done");
    return undefined;
  };
  for (const file of [...graph.keys()].sort()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

/** mod.ts, v2.ts, cli.ts and every TypeScript file under src/, by path from the root. */
function librarySources(): Record<string, string> {
  const files = [
    "mod.ts",
    "v2.ts",
    "cli.ts",
    ...readdirSync(path.join(ROOT, "src"), { recursive: true })
      .map((name) => `src/${String(name).split(path.sep).join("/")}`)
      .filter((name) => name.endsWith(".ts")),
  ];
  return Object.fromEntries(
    files.map((file) => [file, readFileSync(path.join(ROOT, file), "utf8")]),
  );
}

describe("The layers of src/", () => {
  const graph = importGraph(librarySources());

  it("every file of src/ sits in a layer's folder, and its imports point down the table", () => {
    const imports = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
    assert.ok(graph.size > 40 && imports > 150, `read ${graph.size} files, ${imports} imports`);
    assert.deepEqual(layerViolations(graph), []);
  });

  it("no file reaches itself through its imports, type imports included", () => {
    assert.equal(findCycle(graph)?.join(" -> "), undefined);
  });

  it("the check finds a planted upward import, a file outside every layer, and a circle", () => {
    const planted = importGraph({
      "src/core/a.ts":
        '/** `import "./a.ts"` in a comment */\nimport type { B } from "../store/b.ts";',
      "src/store/b.ts": 'export { a } from "../core/a.ts";',
      "src/loose.ts": "",
    });
    assert.deepEqual(layerViolations(planted), [
      "src/core/a.ts -> src/store/b.ts (core may not import store)",
      "src/loose.ts is in no layer (a folder of MAY_IMPORT)",
    ]);
    assert.deepEqual(findCycle(planted), ["src/core/a.ts", "src/store/b.ts", "src/core/a.ts"]);
  });
});
