/**
 * `deno task bench`: on a private redis-server (never REDIS_URL), runs bench/load.ts under Deno
 * (commands and round trips, memory, throughput), Bun (throughput over node-redis and Bun's
 * RedisClient) and Node (throughput; bundled by esbuild into the git-ignored bench/.runs/), and
 * writes bench/RESULTS.json, bench/RESULTS.md and bench/charts/. Options and method:
 * bench/README.md (`--smoke` writes to bench/.runs/ instead).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";
import { startRedisServer } from "../scripts/redis/server.ts";
import type { LoadConfig, LoadResult, OpSpec } from "./load/types.ts";
import { type RunData, writeReport } from "./report.ts";
import { machine, versions } from "./run_env.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const RUNS = `${ROOT}bench/.runs`;
const BIN = `${ROOT}node_modules/.bin`;

/** A `--name` or `--name=value` flag of this process: "" when bare, undefined when absent. */
export function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (hit === undefined) return undefined;
  return hit.includes("=") ? hit.slice(hit.indexOf("=") + 1) : "";
}

const T0 = performance.now();

/** A progress line on stderr, with the seconds since start. */
export function log(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(1)}s] ${message}\n`);
}

/** Runs bench/load.ts under a runtime; returns its JSON, throws if it fails. */
export function runLoad(runtime: string, config: LoadConfig, timeoutMs: number): LoadResult {
  const json = JSON.stringify(config);
  const [command, args] = runtime === "deno"
    ? [`${BIN}/deno`, ["run", "-A", "bench/load.ts", json]]
    : runtime === "bun"
    ? [`${BIN}/bun`, ["bench/load.ts", json]]
    : ["node", [`${RUNS}/load.mjs`, json]];
  return runJson(`${runtime} load`, command, args, config.out, timeoutMs);
}

/**
 * Runs a program that writes its results to `out` and returns them; throws if it fails or
 * outlives `timeoutMs` (then it gets SIGTERM, so that it stops what it started).
 */
export function runJson<T>(
  what: string,
  command: string,
  args: string[],
  out: string,
  timeoutMs: number,
): T {
  const r = spawnSync(command, args, { cwd: ROOT, stdio: "inherit", timeout: timeoutMs });
  if (r.error || r.status !== 0) {
    const why = r.signal ? `${r.signal}, after at most ${timeoutMs / 1000} s` : r.status;
    throw new Error(`${what} run failed (${r.error?.message ?? `exit ${why}`})`);
  }
  return JSON.parse(readFileSync(out, "utf8"));
}

/** Bundles bench/load.ts for Node (which cannot run .ts) into bench/.runs/load.mjs. */
export function bundleForNode(): void {
  mkdirSync(RUNS, { recursive: true });
  const esbuild = spawnSync(`${BIN}/esbuild`, [
    "bench/load.ts",
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--packages=external",
    `--outfile=${RUNS}/load.mjs`,
    "--log-level=warning",
  ], { cwd: ROOT, stdio: "inherit" });
  if (esbuild.status !== 0) throw new Error("esbuild failed to bundle bench/load.ts for Node");
}

/** The operations measured for throughput. */
export const OPS: OpSpec[] = [
  { op: "setSession" },
  { op: "getSession" },
  { op: "getSessionsByUserId", k: 1 },
  { op: "getSessionsByUserId", k: 10 },
  { op: "getSessionsByUserId", k: 100 },
  { op: "deleteSession" },
  { op: "deleteSessionsByUserId", k: 10 },
];

/** What a full or smoke run asks bench/load.ts for, throughput only; callers add modes. */
export function loadConfig(
  options: Pick<LoadConfig, "url" | "run" | "out" | "repeats" | "durationMs"> & { smoke: boolean },
): LoadConfig {
  const { smoke } = options;
  return {
    modes: ["throughput"],
    url: options.url,
    directUrl: options.url,
    run: options.run,
    clients: ["node-redis"],
    subjects: ["ours", "ours2", "v2", "raw", "connect"],
    ops: OPS,
    concurrencies: [1, 256],
    repeats: options.repeats,
    durationMs: options.durationMs,
    maxOps: smoke ? 64 : 200_000,
    countOps: smoke ? 3 : 20,
    countKs: [1, 10, 100],
    countClients: ["node-redis"],
    memorySessions: smoke ? 200 : 10_000,
    memoryKs: [1, 10],
    expireMs: smoke ? 300 : 1000,
    // connect-redis's whole-second TTLs make its retained-memory wait a second longer.
    retainedSubjects: ["ours", "oursV2", "v2", "raw", ...(smoke ? [] : ["connect" as const])],
    out: `${RUNS}/${options.out}.json`,
  };
}

async function main(): Promise<void> {
  const smoke = flag("smoke") !== undefined;
  const out = flag("out")?.replace(/[^\w.-]/g, "_");
  const resultsJson = out || smoke
    ? `${RUNS}/${out ?? "results.smoke"}.json`
    : `${ROOT}bench/RESULTS.json`;
  const resultsMd = out ? `${RUNS}/${out}.md` : smoke ? `${RUNS}/RESULTS.smoke.md` : undefined;
  const started = performance.now();
  const repeats = Number(flag("repeats") ?? (smoke ? 1 : 7));
  const durationMs = Number(flag("duration") ?? (smoke ? 25 : 120));
  const runtimes = (flag("runtimes") ?? "deno,bun,node").split(",");
  const base = (run: string, out: string) =>
    loadConfig({ smoke, url: server.url, run, out, repeats, durationMs });
  bundleForNode();
  const server = await startRedisServer({ env: "" });
  const config = base("loopback", "deno");
  const data: RunData = {
    smoke,
    date: new Date().toISOString(),
    machine: machine(),
    redis: server.version,
    versions: versions(),
    config: {
      repeats,
      durationMs,
      concurrencies: config.concurrencies,
      memorySessions: config.memorySessions,
      expireMs: config.expireMs,
    },
    results: [],
    elapsedSeconds: 0,
  };
  log(`redis-server ${server.version} on ${server.url}`);
  const timeout = smoke ? 60_000 : 600_000;
  try {
    if (runtimes.includes("deno")) {
      log("Deno: commands, memory, throughput");
      data.results.push(
        runLoad("deno", {
          ...config,
          modes: ["counts", "memory", "throughput"],
          // The Lucia v2 entry: commands and memory beside 2.1.2.
          extraSubjects: ["oursV2"],
        }, timeout),
      );
    }
    if (runtimes.includes("bun")) {
      log("Bun: throughput over node-redis and Bun's RedisClient");
      data.results.push(
        runLoad("bun", {
          ...base("loopback", "bun"),
          modes: ["counts", "throughput"],
          clients: ["node-redis", "bun"],
          countClients: ["bun"],
        }, timeout),
      );
    }
    if (runtimes.includes("node")) {
      log("Node: throughput");
      data.results.push(runLoad("node", base("loopback", "node"), timeout));
    }
  } finally {
    await server.stop();
  }
  data.machine.loadAfter = os.loadavg();
  data.elapsedSeconds = (performance.now() - started) / 1000;
  writeFileSync(resultsJson, JSON.stringify(data, null, 1));
  writeReport(data, resultsMd ?? `${ROOT}bench/RESULTS.md`);
  log(`wrote ${resultsMd ?? "bench/RESULTS.md"} (${data.elapsedSeconds.toFixed(0)} s)`);
}

if (import.meta.main) {
  main().then(() => process.exit(0), (error) => {
    process.stderr.write(`[bench] failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  });
}
