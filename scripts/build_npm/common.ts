/**
 * What every step of scripts/build_npm.ts uses: the repository's paths, running commands, files.
 *
 * @module
 */
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where the package is built. */
export const OUT = path.join(ROOT, "npm");
/** The repository's npm binaries. */
export const BIN = path.join(ROOT, "node_modules", ".bin");
/** TypeScript's compiler, run by Node. */
export const TSC = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** A failed check: the build reports its message alone, without a stack. */
export class BuildError extends Error {}

/** Stops the build: the caller reports the message, cleans up and exits with 1. */
export function fail(message: string): never {
  throw new BuildError(message);
}

const color = !process.env.NO_COLOR && process.stdout.isTTY;
/** `text` in bold on a terminal. */
export const bold = (text: string): string => color ? `\x1b[1m${text}\x1b[0m` : text;
/** `text` in red on a terminal. */
export const red = (text: string): string => color ? `\x1b[31m${text}\x1b[0m` : text;

/** Prints the title of a step. */
export function step(title: string): void {
  console.log(`\n${bold(`== ${title}`)}`);
}

/** Runs a command with inherited output; fails the build if it exits non-zero. */
export function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): void {
  const where = options.cwd ? ` (in ${options.cwd})` : "";
  console.log(`$ ${[cmd, ...args].join(" ")}${where}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", ...options });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
}

/** Runs a command and returns its stdout; fails the build if it exits non-zero. */
export function capture(cmd: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    ...options,
  });
  if (r.error) fail(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
  return String(r.stdout);
}

/** Parses a JSON file. */
export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

/** Writes a file, creating its directory. */
export function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** The version of a package in the repository's node_modules (`dir` may be an npm alias). */
export function installedVersion(dir: string): string {
  return readJson<{ version: string }>(path.join(ROOT, "node_modules", dir, "package.json"))
    .version;
}

/** Every file below `dir`, as paths relative to it. */
export function listFiles(dir: string, sub = ""): string[] {
  return fs.readdirSync(path.join(dir, sub), { withFileTypes: true }).flatMap((e) => {
    const relative = path.join(sub, e.name);
    return e.isDirectory() ? listFiles(dir, relative) : e.isFile() ? [relative] : [];
  });
}

/**
 * Node, by its full path (Deno's child_process runs Deno itself when asked for "node"), once it
 * is known to load the CommonJS build: that `require()`s lucia-auth, which is ESM-only, and
 * needs Node ^20.19 or >= 22.12.
 */
export function findNode(): string {
  const node = (process.env.PATH ?? "").split(path.delimiter)
    .map((dir) => path.join(dir, "node"))
    .find((file) => {
      try {
        return fs.statSync(file).isFile() && !fs.realpathSync(file).includes("deno");
      } catch {
        return false;
      }
    }) ?? fail("node is not on PATH");
  const version = capture(node, ["--version"]).trim();
  const [major, minor] = version.slice(1).split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19) || (major === 22 && minor < 12) || major === 21) {
    fail(`Node ${version} cannot require() lucia-auth (ESM-only); use Node ^20.19 or >= 22.12`);
  }
  console.log(`node ${version}, npm ${capture("npm", ["--version"]).trim()}`);
  return node;
}
