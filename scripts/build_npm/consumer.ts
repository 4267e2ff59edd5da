/**
 * Steps 4 to 6 of scripts/build_npm.ts: a throwaway consumer project (in the OS temp dir) that
 * installs the tarball with lucia-auth, redis and ioredis from the npm registry, compiles the
 * TypeScript programs of scripts/npm_smoke/ with tsc --strict, and runs its `.mjs` (import) and
 * `.cjs` (require) programs against a redis-server. The programs use both entry points, the
 * package's name and its `/v2` subpath.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { capture, fail, installedVersion, ROOT, run, step, TSC, writeFile } from "./common.ts";
import { type DenoJson, specifierOf } from "./manifest.ts";

/** The npm aliases the repository installs the consumer's clients under. */
export const CLIENT_ALIASES: Record<string, string> = { redis4: "redis", ioredis5: "ioredis" };

const SMOKE = path.join(ROOT, "scripts", "npm_smoke");

/**
 * Copies programs of scripts/npm_smoke/ into the consumer project, importing the package by its
 * name (`../../mod.ts`) and subpath (`../../v2.ts`), and the clients by theirs.
 */
function copyPrograms(deno: DenoJson, dir: string, files: string[]): void {
  const names: Record<string, string> = {
    ...Object.fromEntries(deno.entries.map((e) => [`../../${e.source}`, specifierOf(e)])),
    ...CLIENT_ALIASES,
  };
  // Any quoted string with no quote or line break in it: a specifier if it is one of `names`.
  const quoted = /(["'])([^"'\n]+)\1/g;
  for (const file of files) {
    const text = fs.readFileSync(path.join(SMOKE, file), "utf8").replace(
      quoted,
      (whole, quote, name) => Object.hasOwn(names, name) ? quote + names[name] + quote : whole,
    );
    writeFile(path.join(dir, file), text);
  }
}

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

/**
 * What npm resolves for an app that installs the tarball alone beside node-redis 5, the case that
 * met `ERESOLVE` with 2.1.2 (`npm install --dry-run` in the empty project `dir`): no conflict, and
 * lucia-auth, the main entry's required peer, comes in with the package.
 */
export function peerResolution(dir: string, tarball: string): string[] {
  step("3b. npm install --dry-run of the tarball alone beside redis 5: its peers resolve");
  writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "peers", private: true }));
  const redis = `redis@${installedVersion("redis5")}`;
  const output = capture("npm", [
    "install",
    "--dry-run",
    "--no-audit",
    "--no-fund",
    "--prefer-offline",
    // As an app's npm would, whatever this repository's .npmrc (legacy-peer-deps) and
    // `npm run -s` (silent) pass on through the environment: the "add <name> <version>" lines
    // are what is read.
    "--legacy-peer-deps=false",
    "--loglevel=notice",
    tarball,
    redis,
  ], { cwd: dir });
  console.log(output.trim());
  const added = new Map([...output.matchAll(/^add (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
  const lucia = added.get("lucia-auth") ??
    fail(`npm did not add lucia-auth, the main entry's peer, with the package: ${output}`);
  return [
    `npm install of the tarball alone beside ${redis}: no ERESOLVE, and lucia-auth@${lucia} ` +
    "added as the main entry's peer",
  ];
}

/** Installs the tarball and its peers into `dir`, then type-checks the TypeScript programs. */
export function consumerProject(
  deno: DenoJson,
  dir: string,
  tarball: string,
  node: string,
): string[] {
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
    ...Object.entries(CLIENT_ALIASES).map(([alias, name]) => `${name}@${installedVersion(alias)}`),
    `@types/node@${installedVersion("@types/node")}`,
  ], { cwd: dir });

  step("5. tsc --strict in the consumer: NodeNext (ESM and CJS), Bundler, declarations alone");
  const esm = ["consumer.ts", "consumer_v2.ts"];
  const cjs = ["consumer_cjs.cts", "consumer_v2_cjs.cts"];
  copyPrograms(deno, dir, [...esm, ...cjs, "types_only.ts"]);
  // lucia-auth 1.8.0's own declarations do not pass a library check (it ships @types/express
  // without its dependencies), so the consumer compiles skip it; the package's declarations are
  // checked on their own, with skipLibCheck off, by tsconfig.types-only.json.
  const withNode = { types: ["node"], skipLibCheck: true };
  const checks: [string, string][] = [
    [
      "tsconfig.nodenext.json",
      tsconfig({ module: "NodeNext", moduleResolution: "NodeNext", ...withNode }, [...esm, ...cjs]),
    ],
    [
      "tsconfig.bundler.json",
      tsconfig({ module: "ESNext", moduleResolution: "Bundler", ...withNode }, esm),
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
  for (const [file, config] of checks) {
    writeFile(path.join(dir, file), config);
    run(node, [TSC, "-p", file], { cwd: dir });
  }
  return [
    `tsc ${installedVersion("typescript")} --strict, ${
      deno.entries.map((e) => specifierOf(e)).join(" and ")
    }: NodeNext (ESM + CJS), Bundler, declarations alone (lib ES2022, no @types): no error`,
  ];
}

/** Runs consumer.mjs (import) and consumer.cjs (require) against the server at `redisUrl`. */
export function consumerRuns(
  deno: DenoJson,
  dir: string,
  redisUrl: string,
  node: string,
): string[] {
  step("6. Run the consumer with import (.mjs) and require (.cjs) against Redis");
  copyPrograms(deno, dir, ["round_trips.cjs", "consumer.mjs", "consumer.cjs"]);
  const env = { ...process.env, REDIS_URL: redisUrl };
  run(node, ["consumer.mjs"], { cwd: dir, env });
  run(node, ["consumer.cjs"], { cwd: dir, env });
  return [
    "consumer.mjs (import) and consumer.cjs (require): main entry over node-redis + ioredis, " +
    "/v2 entry over node-redis: round trips passed",
  ];
}
