/**
 * Builds the npm package of `@lucia-auth/adapter-session-redis` from deno.json's entry points
 * into `npm/`: `mod.ts` (Lucia v1) as the package itself and `v2.ts` (Lucia v2) as
 * `@lucia-auth/adapter-session-redis/v2`, and `cli.ts` as the package's `bin`
 * (`npx @lucia-auth/adapter-session-redis`). Then checks it the way a user of the package would
 * meet it.
 *
 *     deno task build:npm                    # build, pack, check, test on Node
 *     deno task build:npm --keep             # ... and keep the throwaway consumer project
 *     deno task build:npm --junit-path=FILE  # ... and write a JUnit report of the Node tests
 *
 * Steps (each in its own module under scripts/build_npm/):
 *  1. bundle.ts: `npm/esm/{mod,v2}.js` (one esbuild run, shared chunks in `npm/esm/chunks/`) and
 *     `npm/cjs/{mod,v2}.cjs` (one bundle each) with esbuild, declarations with tsc.
 *  2. manifest.ts: `npm/package.json` (version from deno.json), README.md, LICENSE, CHANGELOG.md, docs/.
 *  3. pack.ts: `npm pack`, then publint and @arethetypeswrong/cli on the tarball (every entry).
 *  3b. consumer.ts: `npm install --dry-run` of the tarball alone beside redis 5 resolves with no
 *     ERESOLVE and adds lucia-auth, the main entry's required peer.
 *  4. consumer.ts: a throwaway consumer project installs the tarball with lucia-auth, redis and
 *     ioredis; 5. tsc --strict compiles the TypeScript programs of scripts/npm_smoke/ there;
 *     6. Node runs its `.mjs` (import) and `.cjs` (require) programs against a redis-server,
 *     through both entries.
 *  6b. bin.ts: the package's `bin` (cli.ts, the command line, bundled with node-redis into
 *     `npm/bin/cli.js`) as npm installed it: `--help`, `stats --json` against the redis-server,
 *     and a bad option.
 *  7. contract.ts: the contract suite on Node against the installed package, via import and
 *     via require.
 *
 * Exits non-zero at the first failure. Needs Node ^20.19 or >= 22.12 and npm on PATH,
 * redis-server on PATH (or REDIS_URL), and the repository's node_modules (`npm ci`).
 *
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import * as esbuild from "esbuild";
import { type RedisServer, startRedisServer } from "./redis/server.ts";
import { binRuns } from "./build_npm/bin.ts";
import { bundle } from "./build_npm/bundle.ts";
import { BuildError, findNode, red, step } from "./build_npm/common.ts";
import { consumerProject, consumerRuns, peerResolution } from "./build_npm/consumer.ts";
import { contractRuns } from "./build_npm/contract.ts";
import { PACKAGE_NAME, readDenoJson, writeManifest } from "./build_npm/manifest.ts";
import { pack } from "./build_npm/pack.ts";

const KEEP = process.argv.includes("--keep");
const JUNIT_PATH = process.argv.find((a) => a.startsWith("--junit-path="))
  ?.slice("--junit-path=".length);

async function main(): Promise<void> {
  const startedAt = Date.now();
  const deno = readDenoJson();
  const node = findNode();
  const results = [await bundle(deno, node)];
  writeManifest(deno);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "adapter-session-redis-npm-"));
  const consumer = path.join(work, "consumer");
  fs.mkdirSync(consumer);
  let server: RedisServer | undefined;
  try {
    const packed = pack(work, deno);
    results.push(...packed.results);
    const peers = path.join(work, "peers");
    fs.mkdirSync(peers);
    results.push(...peerResolution(peers, packed.tarball));
    results.push(...consumerProject(deno, consumer, packed.tarball, node));
    server = await startRedisServer();
    results.push(...consumerRuns(deno, consumer, server.url, node));
    results.push(...await binRuns(consumer, server));
    await server.stop();
    server = undefined;
    results.push(...await contractRuns(deno, consumer, node, JUNIT_PATH));
  } finally {
    await server?.stop();
    await esbuild.stop();
    if (KEEP) console.log(`\nkept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
  step(
    `npm package ${PACKAGE_NAME}@${deno.version} in npm/: all checks passed ` +
      `(${((Date.now() - startedAt) / 1000).toFixed(1)} s)`,
  );
  for (const line of results) console.log(`  ok  ${line}`);
}

try {
  await main();
} catch (error) {
  const message = error instanceof BuildError ? error.message : String(error);
  console.error(`\n${red(`build:npm failed: ${message}`)}`);
  if (!(error instanceof BuildError)) console.error(error);
  process.exit(1);
}
