/**
 * The npm package's identity and its package.json, with README.md, LICENSE and CHANGELOG.md
 * copied next to it. Name, version and license come from deno.json.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CLIENTS } from "../../src/client.ts";
import { fail, OUT, readJson, ROOT, step, writeFile } from "./common.ts";

/** The package's name on npm, which must be deno.json's too. */
export const PACKAGE_NAME = "@lucia-auth/adapter-session-redis";
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
/**
 * Optional peers: the npm packages of the Redis clients `redis()` recognises, from the table of
 * clients in src/client.ts (Bun's client is built in, so it has none).
 */
const CLIENT_PEERS: Record<string, string> = Object.fromEntries(
  CLIENTS.flatMap(({ npm }) => {
    if (npm === undefined) return [];
    const at = npm.lastIndexOf("@"); // After a scope's leading "@".
    return [[npm.slice(0, at), npm.slice(at + 1)]];
  }),
);

/** What the build reads from deno.json. */
export interface DenoJson {
  name: string;
  version: string;
  license: string;
  exports: string;
  imports: Record<string, string>;
}

/** Reads deno.json and checks that it names this package and maps lucia-auth to a range. */
export function readDenoJson(): DenoJson {
  const deno = readJson<DenoJson>(path.join(ROOT, "deno.json"));
  if (deno.name !== PACKAGE_NAME) fail(`deno.json names ${deno.name}, expected ${PACKAGE_NAME}`);
  luciaRange(deno);
  return deno;
}

/** The lucia-auth range of deno.json's import map: the package's peer dependency. */
function luciaRange(deno: DenoJson): string {
  return /^npm:lucia-auth@(.+)$/.exec(deno.imports["lucia-auth"] ?? "")?.[1] ??
    fail(`deno.json "imports" must map "lucia-auth" to "npm:lucia-auth@<range>"`);
}

/** Writes npm/package.json and copies the documents the package ships. */
export function writeManifest(deno: DenoJson): void {
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
    peerDependencies: { "lucia-auth": luciaRange(deno), ...CLIENT_PEERS },
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
