/**
 * Step 7 of scripts/build_npm.ts: the contract suite (tests/contract/suite.ts, through
 * scripts/npm_smoke/contract_node.ts) on Node against the package installed in the consumer
 * project, bundled once as ESM and once as CommonJS so that it loads the package through
 * `import` and through `require`, with node-redis 4 and ioredis 5, under `node --test`.
 *
 * @module
 */
import * as path from "node:path";
import process from "node:process";
import * as esbuild from "esbuild";
import { ROOT, run, step, writeFile } from "./common.ts";
import { CLIENT_ALIASES } from "./consumer.ts";
import { type DenoJson, specifierOf } from "./manifest.ts";

/**
 * Every import of an entry point (mod.ts, v2.ts) becomes the package's name or subpath; src/
 * must not be reached from the tests.
 */
const packageInsteadOfSource = (deno: DenoJson): esbuild.Plugin => ({
  name: "package-instead-of-source",
  setup(build) {
    build.onResolve({ filter: /^\.{1,2}\// }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      const entry = deno.entries.find((e) => target === path.join(ROOT, e.source));
      if (entry) return { path: specifierOf(entry), external: true };
      if (target.startsWith(path.join(ROOT, "src") + path.sep)) {
        return {
          errors: [{
            text: `${args.importer} imports ${args.path}: the tests run against the built ` +
              `package, so they may only import the module through its entry points`,
          }],
        };
      }
      return undefined;
    });
  },
});

/**
 * Bundles and runs the suite in `dir`. With `junitPath`, `node --test` also writes a JUnit
 * report there (its readable output stays on stdout).
 */
export async function contractRuns(
  deno: DenoJson,
  dir: string,
  node: string,
  junitPath: string | undefined,
): Promise<string[]> {
  step("7. Contract suite on Node against the installed package (import and require)");
  // One ES module bundle of the suite, with the package, lucia-auth and the clients external.
  const bundled = await esbuild.build({
    entryPoints: [path.join(ROOT, "scripts/npm_smoke/contract_node.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    alias: CLIENT_ALIASES,
    plugins: [packageInsteadOfSource(deno)],
    logLevel: "warning",
  });
  const esm = bundled.outputFiles[0].text;
  // The CommonJS twin is a plain transform of it: imports become require() calls read the way
  // TypeScript's and Babel's interop read them (a module marked __esModule gives its `default`),
  // which is how a CommonJS program sees the package (`require(...).default`) and lucia-auth.
  const cjs = (await esbuild.transform(esm, { format: "cjs", loader: "js", target: "node20" }))
    .code;
  const files: string[] = [];
  const bundles = [["import", "contract.test.mjs", esm], ["require", "contract.test.cjs", cjs]];
  for (const [entry, file, code] of bundles) {
    writeFile(path.join(dir, file), code.replaceAll("__NPM_ENTRY__", entry));
    files.push(file);
  }
  // Each file starts its own private redis-server (the MONITOR checks need one to themselves),
  // so they can run side by side; a shared REDIS_URL is used one file at a time.
  const concurrency = process.env.REDIS_URL ? 1 : 2;
  const junit = junitPath
    ? ["--test-reporter=junit", `--test-reporter-destination=${junitPath}`]
    : [];
  run(node, [
    "--test",
    `--test-concurrency=${concurrency}`,
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    ...junit,
    ...files,
  ], { cwd: dir });
  return ["contract suite on Node (node-redis 4 + ioredis 5) via import and require: passed"];
}
