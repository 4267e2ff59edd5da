/**
 * Builds the npm package of `@lucia-auth/adapter-session-redis` into `npm/` and checks it: the
 * job dnt does for Deno modules, without dnt (published only on JSR, which is unreachable here).
 *
 *     deno task build:npm            # build, pack, check, test on Node
 *     deno task build:npm --keep     # ... and keep the throwaway consumer project
 *     deno task build:npm --junit-path=FILE   # ... and write a JUnit report of the Node tests
 *
 * Steps:
 *  1. JavaScript: esbuild bundles `mod.ts` twice, `npm/esm/mod.js` (ESM) and `npm/cjs/mod.cjs`
 *     (CommonJS), with `lucia-auth` left external. Declarations: tsc (TypeScript 5.9, see
 *     scripts/tsconfig.npm.json) emits `.d.ts` files once; their `./x.ts` imports are rewritten
 *     to `./x.js` for `npm/esm/` and copied as `.d.cts` with `./x.cjs` imports for `npm/cjs/`.
 *  2. `npm/package.json` (version from deno.json), README.md, LICENSE, CHANGELOG.md.
 *  3. `npm pack`, then publint and @arethetypeswrong/cli on the tarball.
 *  4. A throwaway consumer project (in the OS temp dir) installs the tarball with lucia-auth,
 *     redis and ioredis from the npm registry, then: tsc (strict) with NodeNext and Bundler
 *     resolution; `.mjs` (import) and `.cjs` (require) programs against a private redis-server;
 *     the contract suite (tests/contract.ts), bundled once as ESM and once as CommonJS so that
 *     it loads the installed package through `import` and through `require`, with node-redis 4
 *     and ioredis 5, under `node --test`.
 *
 * Exits non-zero at the first failure. Needs Node >= 20.19 and npm on PATH, redis-server on
 * PATH (or REDIS_URL), and the repository's node_modules (`npm ci`).
 *
 * @module
 */
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { type RedisServer, startRedisServer } from "./redis_server.ts";

class BuildError extends Error {}

/** Stops the build: main() reports the message, cleans up and exits with 1. */
function fail(message: string): never {
  throw new BuildError(message);
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "npm");
const BIN = path.join(ROOT, "node_modules", ".bin");
const KEEP = process.argv.includes("--keep");
/** Where `node --test` writes a JUnit report of the contract suite (`--junit-path=FILE`). */
const JUNIT_PATH = process.argv.find((a) => a.startsWith("--junit-path="))
  ?.slice("--junit-path=".length);

const PACKAGE_NAME = "@lucia-auth/adapter-session-redis";
const DESCRIPTION = "Redis session adapter for Lucia v1 (lucia-auth 1.x): node-redis, ioredis, " +
  "Bun's RedisClient and Upstash; every operation one atomic command, sessions expire exactly " +
  "at their idle expiry.";
const REPOSITORY = {
  type: "git",
  url: "git+https://github.com/pilcrowOnPaper/lucia.git",
  directory: "packages/adapter-session-redis",
};
const KEYWORDS = [
  "lucia",
  "lucia-auth",
  "auth",
  "authentication",
  "session",
  "adapter",
  "redis",
  "ioredis",
  "upstash",
  "bun",
  "deno",
];
/**
 * The CommonJS entry `require()`s lucia-auth, which is ESM-only: that needs require(esm),
 * unflagged from Node 20.19 and 22.12.
 */
const ENGINES = { node: "^20.19.0 || >=22.12.0" };
/** Optional peers: the Redis clients `redis()` recognises (Bun's client is built in). */
const CLIENT_PEERS: Record<string, string> = {
  "redis": "^4.0.0 || ^5.0.0 || ^6.0.0",
  "ioredis": "^5.0.0 || ^6.0.0",
  "@upstash/redis": "^1.20.0",
};
/** Packages the bundles may import; anything else is a mistake in src/. */
const RUNTIME_IMPORTS = ["lucia-auth"];

// ---------------------------------------------------------------------------------------------

const results: string[] = [];
const startedAt = Date.now();

const color = !process.env.NO_COLOR && process.stdout.isTTY;
const bold = (text: string) => color ? `\x1b[1m${text}\x1b[0m` : text;
const red = (text: string) => color ? `\x1b[31m${text}\x1b[0m` : text;

function step(title: string): void {
  console.log(`\n${bold(`== ${title}`)}`);
}

/** Runs a command with inherited output; fails the build if it exits non-zero. */
function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): void {
  const where = options.cwd ? ` (in ${options.cwd})` : "";
  console.log(`$ ${[cmd, ...args].join(" ")}${where}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", ...options });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
}

/** Runs a command and returns its stdout; fails the build if it exits non-zero. */
function capture(cmd: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    ...options,
  });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
  return String(r.stdout);
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function installedVersion(dir: string): string {
  return readJson<{ version: string }>(path.join(ROOT, "node_modules", dir, "package.json"))
    .version;
}

/** Every file below `dir`, as paths relative to it. */
function listFiles(dir: string, sub = ""): string[] {
  return fs.readdirSync(path.join(dir, sub), { withFileTypes: true }).flatMap((e) => {
    const relative = path.join(sub, e.name);
    return e.isDirectory() ? listFiles(dir, relative) : e.isFile() ? [relative] : [];
  });
}

// ---------------------------------------------------------------------------------------------

interface DenoJson {
  name: string;
  version: string;
  license: string;
  exports: string;
  imports: Record<string, string>;
}

let deno: DenoJson;
let luciaRange: string;
/** Node, by its full path: Deno's child_process runs Deno itself when asked for "node". */
let NODE: string;

/** Reads deno.json and finds Node; checks that Node can load the CommonJS build. */
function setup(): void {
  deno = readJson<DenoJson>(path.join(ROOT, "deno.json"));
  if (deno.name !== PACKAGE_NAME) fail(`deno.json names ${deno.name}, expected ${PACKAGE_NAME}`);
  luciaRange = /^npm:lucia-auth@(.+)$/.exec(deno.imports["lucia-auth"] ?? "")?.[1] ??
    fail(`deno.json "imports" must map "lucia-auth" to "npm:lucia-auth@<range>"`);
  NODE = (process.env.PATH ?? "").split(path.delimiter)
    .map((dir) => path.join(dir, "node"))
    .find((file) => {
      try {
        return fs.statSync(file).isFile() && !fs.realpathSync(file).includes("deno");
      } catch {
        return false;
      }
    }) ?? fail("node is not on PATH");
  checkNode();
}

function checkNode(): void {
  const version = capture(NODE, ["--version"]).trim();
  const [major, minor] = version.slice(1).split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19) || (major === 22 && minor < 12) || major === 21) {
    fail(`Node ${version} cannot require() lucia-auth (ESM-only); use Node ^20.19 or >= 22.12`);
  }
  console.log(`node ${version}, npm ${capture("npm", ["--version"]).trim()}`);
}

async function bundle(): Promise<void> {
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

  // Declarations: one tsc run, then an ESM tree (.d.ts) and a CommonJS tree (.d.cts).
  const types = fs.mkdtempSync(path.join(os.tmpdir(), "adapter-session-redis-types-"));
  try {
    run(NODE, [
      path.join(ROOT, "node_modules/typescript/bin/tsc"),
      "-p",
      path.join(ROOT, "scripts/tsconfig.npm.json"),
      "--outDir",
      types,
    ]);
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
  results.push("build: esm/mod.js, cjs/mod.cjs and their declarations");
}

function packageJson(): void {
  step("2. npm/package.json, README.md, LICENSE, CHANGELOG.md");
  const pkg = {
    name: PACKAGE_NAME,
    version: deno.version,
    description: DESCRIPTION,
    license: deno.license,
    repository: REPOSITORY,
    keywords: KEYWORDS,
    type: "module",
    exports: {
      ".": {
        import: { types: "./esm/mod.d.ts", default: "./esm/mod.js" },
        require: { types: "./cjs/mod.d.cts", default: "./cjs/mod.cjs" },
      },
      "./package.json": "./package.json",
    },
    main: "./cjs/mod.cjs",
    module: "./esm/mod.js",
    types: "./cjs/mod.d.cts",
    sideEffects: false,
    engines: ENGINES,
    files: ["esm/", "cjs/", "CHANGELOG.md"],
    peerDependencies: { "lucia-auth": luciaRange, ...CLIENT_PEERS },
    peerDependenciesMeta: Object.fromEntries(
      Object.keys(CLIENT_PEERS).map((name) => [name, { optional: true }]),
    ),
  };
  writeFile(path.join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  for (const doc of ["README.md", "LICENSE", "CHANGELOG.md"]) {
    const from = path.join(ROOT, doc);
    if (!fs.existsSync(from)) fail(`${doc} is missing at the repository root`);
    fs.copyFileSync(from, path.join(OUT, doc));
  }
  console.log(JSON.stringify(pkg, null, 2));
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

function pack(dir: string): string {
  step("3. npm pack, publint, @arethetypeswrong/cli");
  const [packed] = JSON.parse(
    capture("npm", ["pack", "--json", "--pack-destination", dir], { cwd: OUT }),
  ) as PackResult[];
  const tarball = path.join(dir, packed.filename);
  console.log(
    `${packed.filename}: ${packed.entryCount} files, ${packed.size} bytes packed, ` +
      `${packed.unpackedSize} bytes unpacked`,
  );
  for (const f of packed.files) console.log(`  ${String(f.size).padStart(7)}  ${f.path}`);
  const wanted = [
    "package.json",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "esm/mod.js",
    "esm/mod.d.ts",
    "cjs/mod.cjs",
    "cjs/mod.d.cts",
  ];
  const missing = wanted.filter((f) => !packed.files.some((p) => p.path === f));
  if (missing.length > 0) fail(`the tarball lacks ${missing.join(", ")}`);
  results.push(
    `tarball: ${packed.entryCount} files, ${packed.size} B packed, ` +
      `${packed.unpackedSize} B unpacked`,
  );

  run(path.join(BIN, "publint"), ["run", tarball, "--strict"]);
  results.push("publint --strict: no problem");
  run(path.join(BIN, "attw"), [tarball, "--profile", "strict", "--format", "table-flipped"]);
  results.push("attw (node10, node16 CJS/ESM, bundler): no problem");
  return tarball;
}

// --- The throwaway consumer project ----------------------------------------------------------

const CONSUMER_TS = `// Compiled with tsc --strict, NodeNext and Bundler resolution.
import lucia, { type AdapterFunction, LuciaError, type SessionAdapter } from "lucia-auth";
import redis, {
  InvalidSessionDataError,
  type RedisClient,
  type RedisSessionAdapter,
  type RedisSessionAdapterOptions,
  type StoredSession,
} from "${PACKAGE_NAME}";
import { createClient } from "redis";
import { Redis } from "ioredis";

declare global {
  namespace Lucia {
    type Auth = import("lucia-auth").Auth;
    type UserAttributes = {};
  }
}

declare const userAdapter: AdapterFunction<import("lucia-auth").UserAdapter>;

const options: RedisSessionAdapterOptions = { namespaces: { session: "s", userSession: "u" } };
const fromNodeRedis: AdapterFunction<SessionAdapter> = redis(createClient(), options);
const fromIoredis: AdapterFunction<SessionAdapter> = redis(new Redis({ lazyConnect: true }));
const client: RedisClient = createClient();
const adapter: RedisSessionAdapter = redis(client)(LuciaError);
export const pending: Promise<StoredSession | null> = adapter.getSession("id");
export const auth = lucia({
  adapter: { user: userAdapter, session: fromNodeRedis },
  env: "DEV",
});
export const also = fromIoredis;
export const isCorrupt = (e: unknown): boolean => e instanceof InvalidSessionDataError;
`;

const CONSUMER_CTS =
  `// Compiled with tsc --strict and NodeNext: resolves the package's "require" types.
import redis = require("${PACKAGE_NAME}");
import type { RedisSessionAdapterFunction } from "${PACKAGE_NAME}";

export const make = (client: redis.RedisClient): RedisSessionAdapterFunction =>
  redis.default(client, { namespaces: { session: "s" } });
export const named: typeof redis.default = redis.redis;
`;

const TYPES_ONLY_TS =
  `// The package's declarations alone: no DOM, no @types/node, skipLibCheck off.
import redis, { type RedisClient, type SessionSchema } from "${PACKAGE_NAME}";
declare const client: RedisClient;
const session: SessionSchema = { id: "s", user_id: "u", active_expires: 1, idle_expires: 2n };
export const done: Promise<void> = redis(client)().setSession(session);
`;

/** Shared body of consumer.mjs and consumer.cjs: a real round trip through the package. */
const CONSUMER_BODY = `
const url = process.env.REDIS_URL;
assert.ok(url, "REDIS_URL must be set");
assert.equal(named, redis, "the default export is redis()");
assert.equal(typeof InvalidSessionDataError, "function");
assert.throws(() => redis({}), TypeError, "an unsupported client is a TypeError");

async function exercise(label, client) {
  const ns = \`consumer-\${process.pid}-\${label}\`;
  // No LuciaError passed: the package falls back to lucia-auth's own, which must be the very
  // class the consumer sees (one lucia-auth instance for import and require alike).
  const adapter = redis(client, { namespaces: { session: ns + ":s", userSession: ns + ":u" } })();
  const now = Date.now();
  const session = { id: "s1", user_id: "u1", active_expires: now + 60e3, idle_expires: now + 120e3, extra: "x" };
  await adapter.setSession(session);
  assert.deepEqual(await adapter.getSession("s1"), session);
  await assert.rejects(adapter.setSession(session), (e) => {
    assert.ok(e instanceof LuciaError, "a duplicate id rejects with lucia-auth's LuciaError");
    assert.equal(e.message, "AUTH_DUPLICATE_SESSION_ID");
    return true;
  });
  assert.deepEqual((await adapter.getSessionsByUserId("u1")).map((s) => s.id), ["s1"]);
  await adapter.deleteSession("s1");
  assert.equal(await adapter.getSession("s1"), null);
  await adapter.deleteSessionsByUserId("u1");
}

async function main() {
  const nodeRedis = createClient({ url });
  await nodeRedis.connect();
  try {
    await exercise("node-redis", nodeRedis);
  } finally {
    await nodeRedis.quit();
  }
  const ioredis = new Redis(url, { lazyConnect: true });
  await ioredis.connect();
  try {
    await exercise("ioredis", ioredis);
  } finally {
    await ioredis.quit();
  }
  console.log(\`ok: \${how} loaded \${resolved}; node-redis and ioredis round trips passed\`);
}
`;

const CONSUMER_MJS = `import assert from "node:assert/strict";
import redis, { InvalidSessionDataError, redis as named } from "${PACKAGE_NAME}";
import { LuciaError } from "lucia-auth";
import { createClient } from "redis";
import { Redis } from "ioredis";

const how = "import";
const resolved = import.meta.resolve("${PACKAGE_NAME}");
assert.match(resolved, /\\/esm\\/mod\\.js$/, "import resolves to the ESM build");
${CONSUMER_BODY}
await main();
`;

const CONSUMER_CJS = `"use strict";
const assert = require("node:assert/strict");
const pkg = require("${PACKAGE_NAME}");
const { redis: named, InvalidSessionDataError } = pkg;
const redis = pkg.default;
const { LuciaError } = require("lucia-auth");
const { createClient } = require("redis");
const { Redis } = require("ioredis");

const how = "require";
const resolved = require.resolve("${PACKAGE_NAME}");
assert.match(resolved, /\\/cjs\\/mod\\.cjs$/, "require resolves to the CommonJS build");
${CONSUMER_BODY}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

function tsconfig(options: Record<string, unknown>, files: string[]): string {
  return JSON.stringify(
    {
      compilerOptions: { strict: true, noEmit: true, target: "ES2022", ...options },
      files,
    },
    null,
    2,
  );
}

function consumerProject(dir: string, tarball: string): void {
  step("4. Consumer project: install the tarball from npm/ with its peers");
  writeFile(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2),
  );
  run("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    "--no-package-lock",
    "--prefer-offline",
    "--loglevel=error",
    tarball,
    `lucia-auth@${installedVersion("lucia-auth")}`,
    `redis@${installedVersion("redis4")}`,
    `ioredis@${installedVersion("ioredis5")}`,
    `@types/node@${installedVersion("@types/node")}`,
  ], { cwd: dir });

  step("5. tsc --strict in the consumer: NodeNext (ESM and CJS), Bundler, declarations alone");
  writeFile(path.join(dir, "consumer.ts"), CONSUMER_TS);
  writeFile(path.join(dir, "consumer_cjs.cts"), CONSUMER_CTS);
  writeFile(path.join(dir, "types_only.ts"), TYPES_ONLY_TS);
  // lucia-auth 1.8.0's own declarations do not pass a library check (it ships @types/express
  // without its dependencies), so the consumer compiles skip it; the package's declarations are
  // checked on their own, with skipLibCheck off, by tsconfig.types-only.json.
  const node = { types: ["node"], skipLibCheck: true };
  const checks: [string, string][] = [
    [
      "tsconfig.nodenext.json",
      tsconfig({
        module: "NodeNext",
        moduleResolution: "NodeNext",
        ...node,
      }, ["consumer.ts", "consumer_cjs.cts"]),
    ],
    [
      "tsconfig.bundler.json",
      tsconfig({
        module: "ESNext",
        moduleResolution: "Bundler",
        ...node,
      }, ["consumer.ts"]),
    ],
    [
      "tsconfig.types-only.json",
      tsconfig({
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2022"],
        types: [],
        skipLibCheck: false,
      }, ["types_only.ts"]),
    ],
  ];
  const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
  for (const [file, config] of checks) {
    writeFile(path.join(dir, file), config);
    run(NODE, [tsc, "-p", file], { cwd: dir });
  }
  results.push(
    `tsc ${installedVersion("typescript")} --strict: NodeNext (ESM + CJS), Bundler, ` +
      `declarations alone (lib ES2022, no @types): no error`,
  );
}

function consumerRuns(dir: string, redisUrl: string): void {
  step("6. Run the consumer with import (.mjs) and require (.cjs) against Redis");
  writeFile(path.join(dir, "consumer.mjs"), CONSUMER_MJS);
  writeFile(path.join(dir, "consumer.cjs"), CONSUMER_CJS);
  const env = { ...process.env, REDIS_URL: redisUrl };
  run(NODE, ["consumer.mjs"], { cwd: dir, env });
  run(NODE, ["consumer.cjs"], { cwd: dir, env });
  results.push("consumer.mjs (import) and consumer.cjs (require): node-redis + ioredis passed");
}

/** Every import of mod.ts becomes the package; src/ must not be reached from the tests. */
const packageInsteadOfSource: esbuild.Plugin = {
  name: "package-instead-of-source",
  setup(build) {
    build.onResolve({ filter: /^\.{1,2}\// }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      if (target === path.join(ROOT, "mod.ts")) return { path: PACKAGE_NAME, external: true };
      if (target.startsWith(path.join(ROOT, "src") + path.sep)) {
        return {
          errors: [{
            text: `${args.importer} imports ${args.path}: the tests run against the built ` +
              `package, so they may only import the module through mod.ts`,
          }],
        };
      }
      return undefined;
    });
  },
};

async function contractRuns(dir: string): Promise<void> {
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
    alias: { redis4: "redis", ioredis5: "ioredis" },
    plugins: [packageInsteadOfSource],
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
  const shared = Boolean(process.env.REDIS_URL);
  const concurrency = shared ? 1 : 2;
  // Readable output on stdout, and a JUnit report where --junit-path asks for one (that is how
  // scripts/test.mjs counts these tests).
  const junit = JUNIT_PATH
    ? ["--test-reporter=junit", `--test-reporter-destination=${JUNIT_PATH}`]
    : [];
  run(NODE, [
    "--test",
    `--test-concurrency=${concurrency}`,
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    ...junit,
    ...files,
  ], { cwd: dir });
  results.push("contract suite on Node (node-redis 4 + ioredis 5) via import and require: passed");
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  setup();
  await bundle();
  packageJson();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "adapter-session-redis-npm-"));
  const consumer = path.join(work, "consumer");
  fs.mkdirSync(consumer);
  let server: RedisServer | undefined;
  try {
    const tarball = pack(work);
    consumerProject(consumer, tarball);
    server = await startRedisServer();
    consumerRuns(consumer, server.url);
    await server.stop();
    server = undefined;
    await contractRuns(consumer);
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
