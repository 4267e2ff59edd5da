/**
 * Type-checks every TypeScript block (```ts, ```typescript) of README.md and docs/*.md as a
 * program of its own, the way a reader who copies it into a file would compile it: tsc --strict
 * without skipLibCheck, against the real packages in node_modules (lucia-auth 1.8, lucia 2.7,
 * node-redis 5, ioredis 5, @upstash/redis, Bun's types) and this package's sources. The compiler
 * options are in scripts/checks/tsconfig.examples.json.
 *
 *     deno run -A scripts/checks/examples.ts     # npm run check:examples; a step of npm test
 *
 * A block that is deliberately partial (it uses names another block defines, or shows only an
 * options object) says so, and is skipped and counted: a `<!-- partial -->` line just before
 * its fence, or `partial` after the language (```ts partial). A block that cannot be checked
 * here says why, `<!-- unchecked: <reason> -->`, and is skipped and counted too.
 *
 * Lucia's types need the global `Lucia` namespace every Lucia app declares (the README's Usage
 * example shows it). A block that does not declare it itself is compiled with the declaration
 * an app has: lucia-auth 1.x's for a block that imports lucia-auth or the main entry, lucia 2's
 * for one that imports lucia or the `/v2` entry. Each checked block is written to .tmp/examples/
 * (named after its file and line), so that a failure can be reproduced there.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CONFIG = path.join(ROOT, "scripts", "checks", "tsconfig.examples.json");
const OUT = path.join(ROOT, ".tmp", "examples");

/** One fenced TypeScript block of a Markdown file. */
export interface Block {
  /** The Markdown file, relative to the repository. */
  file: string;
  /** The 1-based line of the block's first line of code in that file. */
  line: number;
  /** The code, less the indentation of its fence (a block inside a list item). */
  code: string;
  /** Why it is skipped (`partial`, or the reason of an `unchecked:` comment); checked if absent. */
  skip?: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/;
const SKIP_COMMENT = /^\s*<!--\s*(partial\b|unchecked:\s*(.*?))\s*-->\s*$/;

/**
 * The TypeScript blocks of a Markdown text. Every fenced block is skipped over whole, whatever
 * its language, so that a fence inside one never opens another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractBlocks } from "./examples.ts";
 *
 * const text = "<!-- partial -->\n```ts\nredis(client);\n```\n\n```ts\nconst a = 1;\n```\n";
 * const blocks = extractBlocks("README.md", text);
 * assert.deepEqual(blocks.map((b) => [b.line, b.skip, b.code]), [
 *   [3, "partial", "redis(client);"],
 *   [7, undefined, "const a = 1;"],
 * ]);
 * ```
 */
export function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) continue;
    const [, indent, fence, language, rest] = open;
    let end = i + 1;
    while (end < lines.length) {
      const closing = lines[end].trim();
      if (closing.startsWith(fence) && /^[`~]+$/.test(closing) && closing[0] === fence[0]) break;
      end++;
    }
    if (language === "ts" || language === "typescript") {
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === "") before--;
      const code = lines.slice(i + 1, end).map((line) =>
        line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()
      );
      const comment = before >= 0 ? SKIP_COMMENT.exec(lines[before]) : null;
      const skip = /\bpartial\b/.test(rest)
        ? "partial"
        : comment === null
        ? undefined
        : comment[2] ?? "partial";
      blocks.push({ file, line: i + 2, code: code.join("\n"), ...(skip ? { skip } : {}) });
    }
    i = end;
  }
  return blocks;
}

/** README.md and every Markdown file of docs/ (if there is one), relative to the repository. */
function markdownFiles(): string[] {
  const docs = path.join(ROOT, "docs");
  const inDocs = fs.existsSync(docs)
    ? fs.readdirSync(docs, { recursive: true }).map(String).filter((f) => f.endsWith(".md"))
      .sort().map((f) => path.join("docs", f))
    : [];
  return ["README.md", ...inDocs];
}

/** The global types of a lucia-auth 1.x app (the README's Usage example declares the same). */
const LUCIA_V1_GLOBALS = `// The global types every lucia-auth 1.x app declares.
declare namespace Lucia {
  type Auth = import("lucia-auth").Auth;
  type UserAttributes = {};
}
`;

/** The global types of a lucia 2.x app. */
const LUCIA_V2_GLOBALS = `// The global types every lucia 2.x app declares.
declare namespace Lucia {
  type Auth = import("lucia").Auth;
  type DatabaseUserAttributes = {};
  type DatabaseSessionAttributes = {};
}
`;

/**
 * The app's declaration of the `Lucia` namespace a block is compiled with: none when the block
 * declares it, lucia 2's for a block on Lucia v2, lucia-auth 1.x's for one on Lucia v1.
 */
function globalsFor(code: string): "lucia_v1" | "lucia_v2" | undefined {
  if (/\bnamespace\s+Lucia\b/.test(code)) return undefined;
  const imports = [...code.matchAll(/\bfrom\s+["']([^"']+)["']/g)].map((m) => m[1]);
  if (imports.some((s) => s === "lucia" || s === "@lucia-auth/adapter-session-redis/v2")) {
    return "lucia_v2";
  }
  if (imports.some((s) => s === "lucia-auth" || s === "@lucia-auth/adapter-session-redis")) {
    return "lucia_v1";
  }
  return undefined;
}

/** Where a checked block is written: `.tmp/examples/README.md-74.ts`. */
function fileOf(block: Block): string {
  return path.join(OUT, `${block.file.replaceAll(path.sep, "_")}-${block.line}.ts`);
}

/** The compiler options of scripts/checks/tsconfig.examples.json. */
function compilerOptions(): ts.CompilerOptions {
  const { config, error } = ts.readConfigFile(CONFIG, ts.sys.readFile);
  if (error !== undefined) {
    throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  }
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(CONFIG));
  // TS18002, "The 'files' list in config file … is empty": the blocks are the files.
  const errors = parsed.errors.filter((e) => e.code !== 18002);
  if (errors.length > 0) {
    throw new Error(
      errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, "\n")).join("\n"),
    );
  }
  return parsed.options;
}

/**
 * A compiler host that parses each declaration and source file once for all the programs (the
 * blocks are new files each, so they are never stale).
 */
function sharedHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const parse = host.getSourceFile.bind(host);
  const parsed = new Map<string, ts.SourceFile | undefined>();
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (fileName.startsWith(OUT + path.sep)) {
      return parse(fileName, languageVersion, onError, shouldCreate);
    }
    if (!parsed.has(fileName)) {
      parsed.set(fileName, parse(fileName, languageVersion, onError, shouldCreate));
    }
    return parsed.get(fileName);
  };
  return host;
}

/** `README.md:80:7` for a position in a block's file, the file's own path otherwise. */
function where(diagnostic: ts.Diagnostic, blocks: Map<string, Block>): string {
  const { file, start } = diagnostic;
  if (file === undefined || start === undefined) return "(no file)";
  const { line, character } = file.getLineAndCharacterOfPosition(start);
  const block = blocks.get(path.resolve(file.fileName));
  return block === undefined
    ? `${path.relative(ROOT, file.fileName)}:${line + 1}:${character + 1}`
    : `${block.file}:${block.line + line}:${character + 1}`;
}

function main(): number {
  const blocks = markdownFiles().flatMap((file) =>
    extractBlocks(file, fs.readFileSync(path.join(ROOT, file), "utf8"))
  );
  const checked = blocks.filter((b) => b.skip === undefined);
  const skipped = blocks.filter((b) => b.skip !== undefined);
  if (checked.length === 0) {
    console.error("checks/examples: no TypeScript block found to check");
    return 1;
  }
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const byFile = new Map(checked.map((b) => [fileOf(b), b]));
  for (const [file, block] of byFile) fs.writeFileSync(file, block.code + "\n");
  const globals = {
    lucia_v1: path.join(OUT, "lucia_v1_globals.d.ts"),
    lucia_v2: path.join(OUT, "lucia_v2_globals.d.ts"),
  };
  fs.writeFileSync(globals.lucia_v1, LUCIA_V1_GLOBALS);
  fs.writeFileSync(globals.lucia_v2, LUCIA_V2_GLOBALS);

  const options = compilerOptions();
  const host = sharedHost(options);
  let failed = 0;
  for (const [file, block] of byFile) {
    const app = globalsFor(block.code);
    const rootNames = app === undefined ? [file] : [file, globals[app]];
    const program = ts.createProgram({ rootNames, options, host });
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const note = app === undefined
      ? ""
      : ` (with a ${app.replace("_", " ")} app's Lucia namespace)`;
    if (diagnostics.length === 0) {
      console.log(`  ok    ${block.file}:${block.line}${note}`);
      continue;
    }
    failed++;
    console.log(`  FAIL  ${block.file}:${block.line}${note}: ${path.relative(ROOT, file)}`);
    for (const diagnostic of diagnostics) {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n        ");
      console.log(`        ${where(diagnostic, byFile)} TS${diagnostic.code}: ${message}`);
    }
  }
  for (const block of skipped) console.log(`  skip  ${block.file}:${block.line} (${block.skip})`);
  const files = [...new Set(blocks.map((b) => b.file))].join(", ");
  console.log(
    `examples: ${checked.length - failed} of ${checked.length} checked blocks compile ` +
      `(tsc ${ts.version} --strict, no skipLibCheck), ${skipped.length} skipped, ` +
      `in ${files}`,
  );
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exit(main());
