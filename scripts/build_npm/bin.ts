/**
 * Step 6b of scripts/build_npm.ts: the package's `bin` (the command line), as npm installed it in
 * the consumer project (`node_modules/.bin/adapter-session-redis`, what `npx` runs): `--help`
 * exits 0, `stats --json` against a redis-server prints only JSON with the session seeded for
 * it, and a bad option exits 2 with one line on stderr.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import type { RedisServer } from "../redis_server.ts";
import { rawCommand } from "../redis_server.ts";
import { fail, step } from "./common.ts";
import { BIN } from "./manifest.ts";

/** Runs the installed bin; its exit code and output. */
function runBin(consumer: string, args: string[], redisUrl: string) {
  const bin = path.join(consumer, "node_modules", ".bin", BIN.name);
  console.log(`$ ${BIN.name} ${args.join(" ")}`);
  const r = spawnSync(bin, args, {
    cwd: consumer,
    encoding: "utf8",
    env: { ...process.env, REDIS_URL: redisUrl, NO_COLOR: "1" },
  });
  if (r.error) fail(`could not run ${bin}: ${r.error.message}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Checks the installed bin against `server`; returns what was checked. */
export async function binRuns(consumer: string, server: RedisServer): Promise<string[]> {
  step(`6b. Run the package's bin (${BIN.name}) as npm installed it`);
  const help = runBin(consumer, ["--help"], server.url);
  if (help.code !== 0 || !help.stdout.includes(`Usage: ${BIN.name} <command>`)) {
    fail(`${BIN.name} --help exited with ${help.code}: ${help.stderr.trim()}`);
  }
  const ns = ["--session-namespace", "npm-smoke:s", "--user-session-namespace", "npm-smoke:u"];
  const idle = Date.now() + 3_600_000;
  const value = JSON.stringify({ user_id: "u", id: "x", active_expires: idle, idle_expires: idle });
  await rawCommand(server.host, server.port, `SET npm-smoke:s:x '${value}' PXAT ${idle}`);
  await rawCommand(server.host, server.port, `ZADD npm-smoke:u:u ${idle} x`);
  const stats = runBin(consumer, ["stats", "--json", ...ns], server.url);
  let sessions: unknown;
  try {
    sessions = JSON.parse(stats.stdout).sessions;
  } catch {
    // Reported below.
  }
  if (stats.code !== 0 || sessions !== 1) {
    fail(
      `${BIN.name} stats --json exited with ${stats.code}, stdout ${JSON.stringify(stats.stdout)}` +
        `, stderr ${JSON.stringify(stats.stderr)} (expected only JSON with 1 session)`,
    );
  }
  const bad = runBin(consumer, ["stats", "--frob"], server.url);
  if (bad.code !== 2 || !/^adapter-session-redis: [^\n]*--frob[^\n]*\n$/.test(bad.stderr)) {
    fail(`${BIN.name} stats --frob exited with ${bad.code}, stderr ${JSON.stringify(bad.stderr)}`);
  }
  return [
    `bin ${BIN.name} (node_modules/.bin, as npx runs it): --help exits 0, stats --json prints ` +
    "only JSON (1 session found), a bad option exits 2 with one line",
  ];
}
