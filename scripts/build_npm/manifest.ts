/**
 * The npm package's identity and its package.json, with README.md, LICENSE, CHANGELOG.md and docs/
 * copied next to it. Name, version, license and the entry points come from deno.json.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CLIENTS } from "../../src/clients/table.ts";
import { fail, OUT, readJson, ROOT, step, writeFile } from "./common.ts";

/** The package's name on npm, which must be deno.json's too. */
export const PACKAGE_NAME = "@lucia-auth/adapter-session-redis";
/** The latest version published under that name (npm and JSR: the Lucia v2 adapter). */
export const PUBLISHED = "2.1.2";

/** True when the version `a` (`major.minor.patch`, a pre-release allowed) sorts above `b`. */
export function sortsAbove(a: string, b: string): boolean {
  const parse = (v: string) => /^(\d+)\.(\d+)\.(\d+)/.exec(v)?.slice(1).map(Number) ?? [];
  const [x, y] = [parse(a), parse(b)];
  if (x.length !== 3 || y.length !== 3) fail(`not a version: ${x.length !== 3 ? a : b}`);
  const i = x.findIndex((part, k) => part !== y[k]);
  return i !== -1 && x[i] > y[i];
}
const DESCRIPTION = "Redis session adapter for Lucia v1 (lucia-auth 1.x) and, as " +
  "@lucia-auth/adapter-session-redis/v2, for Lucia v2 (lucia 2.x): node-redis, ioredis, " +
  "Bun's RedisClient and Upstash; every write atomic, sessions expire exactly at their idle " +
  "expiry.";
// No `repository`: this project has no public repository yet, and the upstream Lucia monorepo
// is not where this code lives. Add the field once there is a URL to point at.
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
 * The main entry's CommonJS build `require()`s lucia-auth, which is ESM-only: that needs require(esm),
 * unflagged from Node 20.19 and 22.12. The README states the same range once (Compatibility).
 */
export const ENGINES = { node: "^20.19.0 || >=22.12.0" } as const;
/**
 * Optional peers: the npm packages of the Redis clients `redis()` recognises, from the table of
 * clients in src/clients/table.ts (Bun's client is built in, so it has none).
 */
const CLIENT_PEERS: Record<string, string> = Object.fromEntries(
  CLIENTS.flatMap(({ npm }) => {
    if (npm === undefined) return [];
    const at = npm.lastIndexOf("@"); // After a scope's leading "@".
    return [[npm.slice(0, at), npm.slice(at + 1)]];
  }),
);

/**
 * The package's entry points, by their subpath in deno.json's "exports" (and the npm package's),
 * with the packages each one's JavaScript may import at runtime: anything else is a mistake in
 * src/. The Lucia v2 entry imports nothing: a Lucia v2 app does not have lucia-auth 1.x.
 */
const ENTRY_POINTS: readonly { subpath: string; runtimeImports: readonly string[] }[] = [
  { subpath: ".", runtimeImports: ["lucia-auth"] },
  { subpath: "./v2", runtimeImports: [] },
];

/**
 * The command line (deno.json's `"./cli"`, `cli.ts`): on npm not an import entry but the
 * package's `bin`, named as the unscoped package so that `npx @lucia-auth/adapter-session-redis`
 * runs it. One ES module for Node with node-redis bundled in (the package keeps no dependency).
 */
export const BIN = {
  subpath: "./cli",
  name: PACKAGE_NAME.slice(PACKAGE_NAME.indexOf("/") + 1),
  file: "bin/cli.js",
} as const;

/** One entry point of the package. */
export interface Entry {
  /** Its subpath in deno.json's and package.json's "exports": `"."`, `"./v2"`. */
  subpath: string;
  /** Its source file at the repository root, such as `mod.ts`. */
  source: string;
  /** The source's base name, which its built files take: `mod` gives `esm/mod.js` and so on. */
  name: string;
  /** The packages its JavaScript (chunks included) may import at runtime. */
  runtimeImports: readonly string[];
}

/** What the build reads from deno.json, "exports" read as the package's entry points. */
export interface DenoJson {
  name: string;
  version: string;
  license: string;
  imports: Record<string, string>;
  entries: Entry[];
  /** The command line's source (`cli.ts`), built as the package's `bin`. */
  cli: string;
}

/** The name an application imports an entry by: the package's name, then its subpath. */
export function specifierOf(entry: Entry): string {
  return PACKAGE_NAME + entry.subpath.slice(1);
}

/**
 * Reads deno.json and checks that it names this package, maps lucia-auth to a range and exports
 * exactly the entry points of ENTRY_POINTS, each a `.ts` file at the repository root.
 */
export function readDenoJson(): DenoJson {
  const file = readJson<Omit<DenoJson, "entries"> & { exports?: unknown }>(
    path.join(ROOT, "deno.json"),
  );
  const { exports, ...deno } = file;
  if (deno.name !== PACKAGE_NAME) fail(`deno.json names ${deno.name}, expected ${PACKAGE_NAME}`);
  if (!sortsAbove(deno.version, PUBLISHED)) {
    fail(
      `deno.json's version ${deno.version} must sort above ${PUBLISHED}, the version npm and JSR ` +
        `have under this name: npm would never install it`,
    );
  }
  luciaRange(deno);
  if (typeof exports !== "object" || exports === null || Array.isArray(exports)) {
    fail(
      `deno.json "exports" must be an object of subpaths (${
        ENTRY_POINTS.map((e) => `"${e.subpath}"`).join(", ")
      }), not ${JSON.stringify(exports)}`,
    );
  }
  const subpaths = exports as Record<string, unknown>;
  const entries = ENTRY_POINTS.map(({ subpath, runtimeImports }): Entry => {
    const source = subpaths[subpath];
    if (source === undefined) fail(`deno.json "exports" has no "${subpath}" entry`);
    const name = /^\.\/([\w-]+)\.ts$/.exec(String(source))?.[1] ??
      fail(
        `deno.json "exports"["${subpath}"] must be a .ts file at the repository root ` +
          `(such as "./mod.ts"), not ${JSON.stringify(source)}`,
      );
    return { subpath, source: `${name}.ts`, name, runtimeImports };
  });
  const cli = /^\.\/([\w-]+\.ts)$/.exec(String(subpaths[BIN.subpath]))?.[1] ??
    fail(`deno.json "exports"["${BIN.subpath}"] must be the command line's .ts file at the root`);
  const unknown = Object.keys(subpaths).filter((s) =>
    s !== BIN.subpath && !ENTRY_POINTS.some((e) => e.subpath === s)
  );
  if (unknown.length > 0) {
    fail(
      `deno.json exports ${unknown.join(", ")}, which the npm build does not know: add ` +
        `${unknown.length > 1 ? "them" : "it"} to ENTRY_POINTS in scripts/build_npm/manifest.ts`,
    );
  }
  if (new Set(entries.map((e) => e.name)).size < entries.length) {
    fail(`deno.json "exports" maps two subpaths to files of the same name`);
  }
  return { ...deno, entries, cli };
}

/** The lucia-auth range of deno.json's import map: the package's peer dependency. */
function luciaRange(deno: Pick<DenoJson, "imports">): string {
  return importRange(deno, "lucia-auth");
}

/** The range deno.json's import map gives the npm package `name` (`"npm:<name>@<range>"`). */
function importRange(deno: Pick<DenoJson, "imports">, name: string): string {
  const prefix = `npm:${name}@`;
  const target = deno.imports[name] ?? "";
  return target.startsWith(prefix)
    ? target.slice(prefix.length)
    : fail(`deno.json "imports" must map "${name}" to "${prefix}<range>"`);
}

/** Writes npm/package.json and copies the documents the package ships. */
export function writeManifest(deno: DenoJson): void {
  step("2. npm/package.json, README.md, LICENSE, CHANGELOG.md, docs/");
  const main = deno.entries.find((e) => e.subpath === ".") ?? fail(`no "." entry`);
  // TypeScript's node10 resolution (`moduleResolution: "node"`, the default with
  // `module: "commonjs"`) and older bundlers do not read "exports": for them, a subpath entry
  // such as "./v2" also gets a directory of its own (v2/) whose package.json points at its files.
  const fallbacks = deno.entries.filter((e) => e.subpath !== ".").map(({ subpath, name }) => ({
    file: `${subpath.slice("./".length)}/package.json`,
    json: {
      main: `../cjs/${name}.cjs`,
      module: `../esm/${name}.js`,
      types: `../cjs/${name}.d.cts`,
    },
  }));
  const pkg = {
    name: PACKAGE_NAME,
    version: deno.version,
    description: DESCRIPTION,
    license: deno.license,
    keywords: KEYWORDS,
    type: "module",
    exports: {
      ...Object.fromEntries(deno.entries.map(({ subpath, name }) => [subpath, {
        import: { types: `./esm/${name}.d.ts`, default: `./esm/${name}.js` },
        require: { types: `./cjs/${name}.d.cts`, default: `./cjs/${name}.cjs` },
      }])),
      "./package.json": "./package.json",
    },
    main: `./cjs/${main.name}.cjs`,
    module: `./esm/${main.name}.js`,
    types: `./cjs/${main.name}.d.cts`,
    bin: { [BIN.name]: `./${BIN.file}` },
    sideEffects: false,
    engines: ENGINES,
    files: ["esm/", "cjs/", BIN.file, ...fallbacks.map((f) => f.file), "CHANGELOG.md", "docs/"],
    peerDependencies: {
      "lucia-auth": luciaRange(deno),
      lucia: importRange(deno, "lucia"),
      ...CLIENT_PEERS,
    },
    // lucia-auth is required: the main entry imports it (npm 7+ and pnpm install it with the
    // package). The /v2 entry imports nothing, so `lucia` (Lucia v2) is optional, as is every
    // Redis client: each app has the one it uses. The README tells a Lucia v2 app that the
    // lucia-auth npm installs beside it goes unused.
    peerDependenciesMeta: Object.fromEntries(
      ["lucia", ...Object.keys(CLIENT_PEERS)].map((name) => [name, { optional: true }]),
    ),
  };
  writeFile(path.join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  for (const { file, json } of fallbacks) {
    writeFile(path.join(OUT, file), JSON.stringify(json, null, 2) + "\n");
  }
  for (const doc of ["README.md", "LICENSE", "CHANGELOG.md"]) {
    const from = path.join(ROOT, doc);
    if (!fs.existsSync(from)) fail(`${doc} is missing at the repository root`);
    fs.copyFileSync(from, path.join(OUT, doc));
  }
  // The manual the README links to (docs/*.md, relative links), beside it in the package.
  fs.mkdirSync(path.join(OUT, "docs"), { recursive: true });
  for (const page of fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md"))) {
    fs.copyFileSync(path.join(ROOT, "docs", page), path.join(OUT, "docs", page));
  }
  console.log(JSON.stringify(pkg, null, 2));
  for (const { file, json } of fallbacks) console.log(`${file}: ${JSON.stringify(json)}`);
}
