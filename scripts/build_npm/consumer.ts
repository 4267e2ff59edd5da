/**
 * Steps 4 to 6 of scripts/build_npm.ts: a throwaway consumer project (in the OS temp dir) that
 * installs the tarball with lucia-auth, redis and ioredis from the npm registry, compiles the
 * TypeScript programs of scripts/npm_smoke/ with tsc --strict, and runs its `.mjs` (import) and
 * `.cjs` (require) programs against a redis-server.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { installedVersion, ROOT, run, step, TSC, writeFile } from "./common.ts";
import { PACKAGE_NAME } from "./manifest.ts";

/** The npm aliases the repository installs the consumer's clients under. */
export const CLIENT_ALIASES: Record<string, string> = { redis4: "redis", ioredis5: "ioredis" };

const SMOKE = path.join(ROOT, "scripts", "npm_smoke");
/** How the programs in scripts/npm_smoke/ import the package. */
const MOD_TS = "../../mod.ts";

/**
 * Copies a program of scripts/npm_smoke/ into the consumer project, importing the package by its
 * name and the clients by theirs.
 */
function copyProgram(dir: string, file: string): void {
  const names: Record<string, string> = { [MOD_TS]: PACKAGE_NAME, ...CLIENT_ALIASES };
  const specifier = /(["'])(\.\.\/\.\.\/mod\.ts|[\w-]+)\1/g;
  const text = fs.readFileSync(path.join(SMOKE, file), "utf8")
    .replace(
      specifier,
      (whole, quote, name) => name in names ? quote + names[name] + quote : whole,
    );
  writeFile(path.join(dir, file), text);
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

/** Installs the tarball and its peers into `dir`, then type-checks the TypeScript programs. */
export function consumerProject(dir: string, tarball: string, node: string): string[] {
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
  for (const file of ["consumer.ts", "consumer_cjs.cts", "types_only.ts"]) copyProgram(dir, file);
  // lucia-auth 1.8.0's own declarations do not pass a library check (it ships @types/express
  // without its dependencies), so the consumer compiles skip it; the package's declarations are
  // checked on their own, with skipLibCheck off, by tsconfig.types-only.json.
  const withNode = { types: ["node"], skipLibCheck: true };
  const checks: [string, string][] = [
    [
      "tsconfig.nodenext.json",
      tsconfig({ module: "NodeNext", moduleResolution: "NodeNext", ...withNode }, [
        "consumer.ts",
        "consumer_cjs.cts",
      ]),
    ],
    [
      "tsconfig.bundler.json",
      tsconfig({ module: "ESNext", moduleResolution: "Bundler", ...withNode }, ["consumer.ts"]),
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
    `tsc ${installedVersion("typescript")} --strict: NodeNext (ESM + CJS), Bundler, ` +
    `declarations alone (lib ES2022, no @types): no error`,
  ];
}

/** Runs consumer.mjs (import) and consumer.cjs (require) against the server at `redisUrl`. */
export function consumerRuns(dir: string, redisUrl: string, node: string): string[] {
  step("6. Run the consumer with import (.mjs) and require (.cjs) against Redis");
  for (const file of ["round_trips.cjs", "consumer.mjs", "consumer.cjs"]) copyProgram(dir, file);
  const env = { ...process.env, REDIS_URL: redisUrl };
  run(node, ["consumer.mjs"], { cwd: dir, env });
  run(node, ["consumer.cjs"], { cwd: dir, env });
  return ["consumer.mjs (import) and consumer.cjs (require): node-redis + ioredis passed"];
}
