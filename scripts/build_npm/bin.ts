/**
 * Step 6b of scripts/build_npm.ts: the package's `bin` (the command line), as npm installed it in
 * the consumer project (`node_modules/.bin/adapter-session-redis`, what `npx` runs): `--help` exits
 * 0, `stats --json` against a redis-server prints only JSON with the session seeded for it, and a
 * bad option exits 2 with one line on stderr. Then on fronts that are not Redis
 * (tests/helpers/fake_servers.ts: one that closes the connection, one that answers in HTTP, one
 * that says nothing), on Node and on Bun (as `bunx` runs it): exit 1 with one line, each.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import type { RedisServer } from "../redis/server.ts";
import { rawCommand } from "../redis/server.ts";
import { type FakeKind, startFakeServer } from "../../tests/helpers/fake_servers.ts";
import { BIN as TOOLS, BuildError, fail, step } from "./common.ts";
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
    await binOnFakeFronts(consumer),
  ];
}

/** What the bin must say on each fake front, after `cannot connect to <url>: `. */
const FRONTS: readonly { kind: FakeKind; timeout: number; says: RegExp }[] = [
  // A timeout a passing run never reaches: only the server's own behaviour may end these two (a
  // bin that waited for the timeout would say so, and fail the check).
  { kind: "closing", timeout: 60_000, says: /the server closed the connection/ },
  {
    kind: "http",
    timeout: 60_000,
    says: /does not speak the Redis protocol \(it answered in HTTP\)/,
  },
  { kind: "silent", timeout: 300, says: /no Redis reply within 300 ms/ },
];

/**
 * The installed bin on each fake front, on Node and on Bun (the repository's, when installed):
 * `stats` and `doctor` exit 1 with exactly one line on stderr saying why. On Bun the bundle is
 * the main module: a second run of the command (a second line) would show here.
 */
async function binOnFakeFronts(consumer: string): Promise<string> {
  const bin = path.join(consumer, "node_modules", ".bin", BIN.name);
  const bun = path.join(TOOLS, "bun");
  const runtimes: [string, string[]][] = [["node", [bin]]];
  if (fs.existsSync(bun)) runtimes.push([bun, [bin]]);
  for (const front of FRONTS) {
    const fake = await startFakeServer(front.kind);
    try {
      for (const [runtime, args] of runtimes) {
        for (const command of ["stats", "doctor"]) {
          const all = [...args, command, "--connect-timeout", String(front.timeout)];
          const r = await runAsync(runtime, all, fake.url);
          const line = new RegExp(`^${BIN.name}: cannot connect to ${fake.url}: [^\n]+\n$`);
          if (
            r.code !== 1 || r.stdout !== "" || !line.test(r.stderr) || !front.says.test(r.stderr)
          ) {
            fail(
              `${path.basename(runtime)} ${BIN.name} ${command} on a front that is ${front.kind} ` +
                `exited with ${r.code}, stdout ${JSON.stringify(r.stdout)}, stderr ` +
                `${JSON.stringify(r.stderr)} (expected exit 1 and one line matching ${front.says})`,
            );
          }
        }
      }
    } finally {
      await fake.close();
    }
  }
  return `bin ${BIN.name} on fronts that are not Redis (closing, HTTP, silent), on ` +
    `${runtimes.map(([r]) => path.basename(r)).join(" and ")}: stats and doctor exit 1 with ` +
    "one line saying why";
}

/**
 * Runs a program without blocking this process (the fake front it talks to lives here); its
 * exit code and output.
 */
function runAsync(cmd: string, args: string[], redisUrl: string) {
  console.log(`$ ${path.basename(cmd)} ${[BIN.name, ...args.slice(1)].join(" ")}`);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, REDIS_URL: redisUrl, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.on("data", (chunk) => stdout += chunk);
    child.stderr.on("data", (chunk) => stderr += chunk);
    child.on("error", (error) => reject(new BuildError(`could not run ${cmd}: ${error.message}`)));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
