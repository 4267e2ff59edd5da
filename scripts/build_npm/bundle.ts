/**
 * Step 1 of scripts/build_npm.ts: the package's JavaScript and declarations in npm/, for each
 * entry point of deno.json (`mod.ts`, the Lucia v1 adapter, and `v2.ts`, the Lucia v2 one).
 *
 * esbuild builds the ES modules of all entries in one run with code splitting: `npm/esm/mod.js`,
 * `npm/esm/v2.js` and the chunks they share in `npm/esm/chunks/`, so an application importing
 * both entries loads one copy of the shared code (one class per error). esbuild cannot split
 * CommonJS, so `npm/cjs/mod.cjs` and `npm/cjs/v2.cjs` are each a bundle of their own (a program
 * `require()`ing both gets two copies of the shared classes). Packages are left external, and
 * each entry may only import the packages its ENTRY_POINTS line in manifest.ts allows, through
 * its chunks too.
 *
 * tsc (TypeScript 5.9, see scripts/build_npm/tsconfig.json) emits the `.d.ts` files once; their
 * `./x.ts` imports are rewritten to `./x.js` for `npm/esm/` and copied as `.d.cts` with
 * `./x.cjs` imports for `npm/cjs/`. The declarations an entry reaches may only import the
 * packages its JavaScript may.
 *
 * @module
 */
import * as fs from "node:fs";
import { builtinModules, createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as esbuild from "esbuild";
import { fail, listFiles, OUT, ROOT, run, step, TSC, writeFile } from "./common.ts";
import { BIN, type DenoJson, type Entry, PACKAGE_NAME } from "./manifest.ts";

/** Empties npm/ and builds the bundles of every entry and their declarations into it. */
export async function bundle(deno: DenoJson, node: string): Promise<string> {
  step(`1. Build ${PACKAGE_NAME}@${deno.version} into npm/ (esbuild + tsc)`);
  fs.rmSync(OUT, { recursive: true, force: true });
  const banner = (sources: string) => ({
    js: `// ${PACKAGE_NAME} ${deno.version} (${deno.license}): built from ${sources} by ` +
      `scripts/build_npm.ts.`,
  });
  const common = {
    absWorkingDir: ROOT,
    bundle: true,
    platform: "neutral",
    target: "es2022",
    packages: "external",
    metafile: true,
    logLevel: "warning",
  } as const;

  const esm = await esbuild.build({
    ...common,
    entryPoints: deno.entries.map((e) => ({ in: e.source, out: e.name })),
    outdir: path.join(OUT, "esm"),
    format: "esm",
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    banner: banner(deno.entries.map((e) => e.source).join(" and ")),
  });
  for (const entry of deno.entries) checkImports(esm.metafile, entry, `esm/${entry.name}.js`);
  const built = Object.keys(esm.metafile.outputs);

  // No code splitting for CommonJS in esbuild: one self-contained bundle per entry.
  for (const entry of deno.entries) {
    const file = `cjs/${entry.name}.cjs`;
    const cjs = await esbuild.build({
      ...common,
      entryPoints: [entry.source],
      outfile: path.join(OUT, file),
      format: "cjs",
      banner: banner(entry.source),
    });
    checkImports(cjs.metafile, entry, file);
    built.push(...Object.keys(cjs.metafile.outputs));
  }
  built.push(await bundleBin(deno));
  for (const file of built) {
    console.log(`${file}: ${fs.statSync(path.join(ROOT, file)).size} bytes`);
  }

  declarations(node);
  for (const entry of deno.entries) checkDeclarations(entry);
  const chunks = built.filter((f) => f.includes("/chunks/")).length;
  return `build: ${BIN.file} (the ${BIN.name} command), ` +
    `${deno.entries.map((e) => `esm/${e.name}.js`).join(", ")} (+ ${chunks} ` +
    `shared chunk${chunks === 1 ? "" : "s"}), ` +
    `${deno.entries.map((e) => `cjs/${e.name}.cjs`).join(", ")} and their declarations; ` +
    deno.entries.map((e) => `${e.name} imports ${e.runtimeImports.join(", ") || "nothing"}`)
      .join(", ");
}

/**
 * The command line as the package's `bin`: one ES module for Node, node-redis bundled in (so the
 * package has no dependency for it), runnable by `npx` (a `#!/usr/bin/env node` line). node-redis
 * is CommonJS: its `require()`s of Node's modules go through a `require` made for the module.
 * It may import nothing but Node's own modules.
 *
 * Kept small: minified (names kept, for error names and stack traces), and with node-redis's
 * client alone ({@linkcode clientOnly}). The bin's own `await run()` is the only run:
 * `import.meta.main` is defined false, or cli.ts's own `if (import.meta.main) await run()` would
 * run the command a second time on runtimes where the bundle is the main module (Bun, Node >= 24).
 */
async function bundleBin(deno: DenoJson): Promise<string> {
  const result = await esbuild.build({
    minify: true,
    keepNames: true,
    define: { "import.meta.main": "false" },
    plugins: [clientOnly],
    absWorkingDir: ROOT,
    stdin: {
      contents: `import { run } from "./${deno.cli}";\nawait run();\n`,
      resolveDir: ROOT,
      sourcefile: `${BIN.name}.ts`,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    outfile: path.join(OUT, BIN.file),
    metafile: true,
    logLevel: "warning",
    banner: {
      js: [
        "#!/usr/bin/env node",
        `// ${PACKAGE_NAME} ${deno.version} (${deno.license}): the ${BIN.name} command, built ` +
        `from ${deno.cli} with node-redis by scripts/build_npm.ts.`,
        'import { createRequire as __createRequire } from "node:module";',
        "const require = __createRequire(import.meta.url);",
      ].join("\n"),
    },
  });
  const file = path.relative(ROOT, path.join(OUT, BIN.file));
  const imports = result.metafile.outputs[file]?.imports ??
    fail(`esbuild did not report on ${file}`);
  const packages = imports
    .filter((i) => i.external && !i.path.startsWith("node:") && !builtinModules.includes(i.path))
    .map((i) => i.path);
  if (packages.length > 0) {
    fail(`npm/${BIN.file} imports ${packages.join(", ")}: it may import only Node's modules`);
  }
  fs.chmodSync(path.join(OUT, BIN.file), 0o755);
  return file;
}

/**
 * Resolves cli.ts's `redis5` (the `redis` package, node-redis 5) to the `@redis/client` it
 * depends on: `redis` is that client plus the modules of Redis Stack (Bloom, JSON, search, time
 * series), about a fifth of the bin, which the tool never calls (it sends raw commands). The
 * client's `createClient`, `createCluster` and error classes are the ones `redis` re-exports.
 */
const clientOnly: esbuild.Plugin = {
  name: "node-redis-client-only",
  setup(build) {
    // The `redis` package's own dependency, as Node would find it from inside the package.
    const redisEntry = createRequire(path.join(ROOT, "package.json")).resolve("redis5");
    build.onResolve({ filter: /^redis5$/ }, async (args) => {
      const client = await build.resolve("@redis/client", {
        kind: args.kind,
        resolveDir: path.dirname(redisEntry),
      });
      if (client.errors.length > 0) fail(`cannot resolve redis5's @redis/client`);
      return { path: client.path };
    });
  },
};

/**
 * Fails unless the output `file` (relative to npm/), with every chunk it loads, imports only the
 * packages `entry` may import.
 */
function checkImports(metafile: esbuild.Metafile, entry: Entry, file: string): void {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (output: string) => {
    if (seen.has(output)) return;
    seen.add(output);
    const meta = metafile.outputs[output] ?? fail(`esbuild did not report on ${output}`);
    for (const i of meta.imports) {
      if (i.external) packages.add(i.path);
      else visit(i.path); // A chunk of the same build.
    }
  };
  visit(path.relative(ROOT, path.join(OUT, file)));
  const unexpected = [...packages].filter((p) => !entry.runtimeImports.includes(p));
  if (unexpected.length > 0) {
    fail(
      `npm/${file} (${entry.source}${seen.size > 1 ? " and its chunks" : ""}) imports ` +
        `${unexpected.join(", ")}; it may import ` +
        `${entry.runtimeImports.join(", ") || "nothing"} at runtime (see ENTRY_POINTS in ` +
        `scripts/build_npm/manifest.ts, and the package's dependencies, if that is intended)`,
    );
  }
}

/** One tsc run, then an ESM tree (.d.ts) and a CommonJS tree (.d.cts). */
function declarations(node: string): void {
  const types = fs.mkdtempSync(path.join(os.tmpdir(), "adapter-session-redis-types-"));
  try {
    run(node, [TSC, "-p", path.join(ROOT, "scripts/build_npm/tsconfig.json"), "--outDir", types]);
    const relativeTs = /(["'])(\.{1,2}\/[^"'\n]*?)\.ts\1/g;
    for (const file of listFiles(types)) {
      if (!file.endsWith(".d.ts")) fail(`tsc wrote an unexpected file: ${file}`);
      const text = fs.readFileSync(path.join(types, file), "utf8");
      const base = file.slice(0, -".d.ts".length);
      writeFile(path.join(OUT, "esm", `${base}.d.ts`), text.replace(relativeTs, "$1$2.js$1"));
      writeFile(path.join(OUT, "cjs", `${base}.d.cts`), text.replace(relativeTs, "$1$2.cjs$1"));
    }
  } finally {
    fs.rmSync(types, { recursive: true, force: true });
  }
}

/**
 * Fails unless `npm/esm/<entry>.d.ts` exists and the declarations it reaches import only the
 * packages the entry may import (a type import of a package the application lacks breaks its
 * compile). The `.d.cts` tree is the same text with other extensions.
 */
function checkDeclarations(entry: Entry): void {
  // Module specifiers, and `/// <reference types>` directives; JSDoc (its examples import
  // packages too) and other comments are removed first.
  const specifiers =
    /\b(?:from|import|require)\s*\(?\s*(["'])([^"'\n]+)\1|^\/\/\/\s*<reference\s+types=(["'])([^"'\n]+)\3/gm;
  const comments = /\/\*[\s\S]*?\*\/|^\s*\/\/(?!\/).*$/gm;
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!fs.existsSync(file)) fail(`tsc did not emit ${path.relative(OUT, file)}`);
    const code = fs.readFileSync(file, "utf8").replace(comments, "");
    for (const m of code.matchAll(specifiers)) {
      const specifier = m[2] ?? m[4];
      if (!specifier.startsWith(".")) packages.add(specifier);
      else visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".d.ts")));
    }
  };
  visit(path.join(OUT, "esm", `${entry.name}.d.ts`));
  const unexpected = [...packages].filter((p) => !entry.runtimeImports.includes(p));
  if (unexpected.length > 0) {
    fail(
      `the declarations of ${entry.source} (esm/${entry.name}.d.ts and ${seen.size - 1} more) ` +
        `import ${unexpected.join(", ")}, which its users need not have`,
    );
  }
}
