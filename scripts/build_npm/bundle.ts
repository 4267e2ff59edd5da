/**
 * Step 1 of scripts/build_npm.ts: the package's JavaScript and declarations in npm/.
 *
 * esbuild bundles `mod.ts` twice, `npm/esm/mod.js` (ESM) and `npm/cjs/mod.cjs` (CommonJS), with
 * `lucia-auth` left external. tsc (TypeScript 5.9, see scripts/tsconfig.npm.json) emits the
 * `.d.ts` files once; their `./x.ts` imports are rewritten to `./x.js` for `npm/esm/` and copied
 * as `.d.cts` with `./x.cjs` imports for `npm/cjs/`.
 *
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as esbuild from "esbuild";
import { fail, listFiles, OUT, ROOT, run, step, TSC, writeFile } from "./common.ts";
import { type DenoJson, PACKAGE_NAME } from "./manifest.ts";

/** Packages the bundles may import; anything else is a mistake in src/. */
const RUNTIME_IMPORTS = ["lucia-auth"];

/** Empties npm/ and builds the two bundles and their declarations into it. */
export async function bundle(deno: DenoJson, node: string): Promise<string> {
  step(`1. Build ${PACKAGE_NAME}@${deno.version} into npm/ (esbuild + tsc)`);
  fs.rmSync(OUT, { recursive: true, force: true });
  for (const [format, file] of [["esm", "esm/mod.js"], ["cjs", "cjs/mod.cjs"]] as const) {
    const result = await esbuild.build({
      entryPoints: [path.join(ROOT, deno.exports)],
      outfile: path.join(OUT, file),
      bundle: true,
      format,
      platform: "neutral",
      target: "es2022",
      packages: "external",
      metafile: true,
      logLevel: "warning",
      banner: {
        js: `// ${PACKAGE_NAME} ${deno.version} (${deno.license}): built from mod.ts by ` +
          `scripts/build_npm.ts.`,
      },
    });
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports);
    const unexpected = imports.filter((i) => !RUNTIME_IMPORTS.includes(i.path));
    if (unexpected.length > 0) {
      fail(
        `npm/${file} imports ${unexpected.map((i) => i.path).join(", ")}; only ` +
          `${RUNTIME_IMPORTS.join(", ")} may be imported at runtime (add it to RUNTIME_IMPORTS ` +
          `and to the package's dependencies if that is intended)`,
      );
    }
    console.log(`npm/${file}: ${fs.statSync(path.join(OUT, file)).size} bytes`);
  }
  declarations(node);
  return "build: esm/mod.js, cjs/mod.cjs and their declarations";
}

/** One tsc run, then an ESM tree (.d.ts) and a CommonJS tree (.d.cts). */
function declarations(node: string): void {
  const types = fs.mkdtempSync(path.join(os.tmpdir(), "adapter-session-redis-types-"));
  try {
    run(node, [TSC, "-p", path.join(ROOT, "scripts/tsconfig.npm.json"), "--outDir", types]);
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
