/**
 * What bench/run.ts records of where and with what a run ran: the versions of everything
 * measured and the machine.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = `${ROOT}node_modules/.bin`;

function readVersion(path: string): string {
  try {
    return JSON.parse(readFileSync(`${ROOT}${path}`, "utf8")).version;
  } catch {
    return "unknown";
  }
}

function sh(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8", cwd: ROOT });
  return r.status === 0 ? r.stdout.trim() : "";
}

/** The versions of this adapter, the other subjects, the clients and the runtimes. */
export function versions(): Record<string, string> {
  const commit = sh("git", ["rev-parse", "--short", "HEAD"]);
  const dirty = sh("git", ["status", "--porcelain", "--", "src", "mod.ts", "v2.ts"]) !== "";
  const ours = `@lucia-auth/adapter-session-redis ${readVersion("deno.json")} (git ${
    commit || "?"
  }${dirty ? ", uncommitted changes in src/, mod.ts or v2.ts" : ""})`;
  return {
    ours,
    v2: `@lucia-auth/adapter-session-redis ${
      readVersion("node_modules/adapter-session-redis-v2/package.json")
    }`,
    client: `node-redis (npm redis) ${readVersion("node_modules/redis5/package.json")}, ` +
      `@redis/client ${readVersion("node_modules/redis5/node_modules/@redis/client/package.json")}`,
    client4: `node-redis (npm redis) ${readVersion("node_modules/redis4/package.json")}, ` +
      `@redis/client ${readVersion("node_modules/@redis/client/package.json")} ` +
      "(2.1.2's cluster client)",
    connect: `connect-redis ${readVersion("node_modules/connect-redis/package.json")}`,
    expressSession: `express-session ${readVersion("node_modules/express-session/package.json")}`,
    luciaAuth: `lucia-auth ${readVersion("node_modules/lucia-auth/package.json")}`,
    lucia: `lucia ${readVersion("node_modules/lucia/package.json")}`,
    deno: sh(`${BIN}/deno`, ["--version"]).split("\n")[0].replace(/^deno /, ""),
    bun: sh(`${BIN}/bun`, ["--version"]),
    node: sh("node", ["--version"]).replace(/^v/, ""),
    esbuild: sh(`${BIN}/esbuild`, ["--version"]),
  };
}

/** The machine, and its load average before the run. */
export function machine() {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  return {
    cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: os.totalmem() / 2 ** 30,
    kernel: os.release(),
    loadBefore: os.loadavg(),
    loadAfter: [] as number[],
  };
}
