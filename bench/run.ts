/**
 * Runs the benchmark and writes bench/RESULTS.md: `deno task bench`.
 *
 * Starts a private redis-server (never REDIS_URL: the benchmark flushes and measures memory),
 * then runs bench/load.ts under Deno (commands, memory, throughput), bench/server.ts under Deno
 * (what each operation costs the server: commandstats and CPU per request, callgrind
 * instruction counts on a second server when valgrind is installed, script variants,
 * saturation, worst case against sessions per user), bench/cluster.ts under Deno (on a Redis
 * Cluster of its own: commands, round trips, Redis µs and ops/s per operation against 2.1.2),
 * bench/migrate.ts under Deno (the `migrate` command over legacy data, in keys per second),
 * bench/load.ts under Bun (throughput over node-redis and over Bun's RedisClient) and Node
 * (throughput, bundled with esbuild into the git-ignored bench/.runs/), and last Node again
 * through a TCP delay proxy that adds ~1 ms to every round trip. Every figure in RESULTS.md
 * and its charts (bench/charts/*.svg) comes from this run.
 *
 * Options: `--smoke` (tiny N in ~30 s, for CI: fails on errors, never on speed; writes
 * bench/.runs/RESULTS.smoke.md), `--repeats=N`, `--duration=MS`, `--runtimes=deno,bun,node`,
 * `--no-latency`, `--js-proxy` (use the Bun delay proxy even where `cc` exists), `--render`
 * (re-render RESULTS.md from the last run's JSON), `--server=cost,worst,saturation,
 * instructions,variants` (the server modes to run; `--server=` for none), `--processes=N`
 * (client processes of the saturation mode; default one per core), `--server-repeats=N`,
 * `--server-subjects=oursV2,v2` and `--server-ops=updateSession(renewal),...` (only these
 * subjects and cells in the cost mode and the instruction counts), `--cluster=counts,cost` (the
 * cluster mode's parts; all by default) or `--no-cluster`, `--no-migrate` (leave out
 * bench/migrate.ts: 1,000,000 legacy sessions, about a minute), `--cluster-repeats=N`, `--out=NAME`
 * (write bench/.runs/NAME.json and NAME.md instead of RESULTS.md: for partial runs; with
 * `--render`, re-render those).
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";
import { startRedisServer } from "../scripts/redis_server.ts";
import { CLUSTER_PARTS, clusterConfig } from "../research/cluster/config.ts";
import type { ClusterConfig, ClusterPart, ClusterResult } from "../research/cluster/types.ts";
import type { LoadConfig, LoadResult, OpSpec } from "./load/types.ts";
import { type RunData, writeReport } from "./report.ts";
import { machine, versions } from "./run_env.ts";
import { SERVER_MODES, serverConfig } from "../research/server/config.ts";
import type { ServerConfig, ServerMode, ServerResult } from "../research/server/types.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const RUNS = `${ROOT}bench/.runs`;
const BIN = `${ROOT}node_modules/.bin`;

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (hit === undefined) return undefined;
  return hit.includes("=") ? hit.slice(hit.indexOf("=") + 1) : "";
}

/** A comma-separated flag as a list (undefined when not given). */
function list(name: string): string[] | undefined {
  return flag(name)?.split(",").filter(Boolean);
}

const T0 = performance.now();

function log(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(1)}s] ${message}\n`);
}

/** Runs the cluster mode (bench/cluster.ts) under Deno. */
function runCluster(config: ClusterConfig, timeoutMs: number): Promise<ClusterResult> {
  const args = ["run", "-A", "research/cluster.ts", JSON.stringify(config)];
  return runJson("cluster mode", `${BIN}/deno`, args, config.out, timeoutMs);
}

/** Runs the load script under a runtime; resolves with its JSON, rejects if it fails. */
function runLoad(runtime: string, config: LoadConfig, timeoutMs: number): Promise<LoadResult> {
  const json = JSON.stringify(config);
  const [command, args] = runtime === "deno"
    ? [`${BIN}/deno`, ["run", "-A", "bench/load.ts", json]]
    : runtime === "bun"
    ? [`${BIN}/bun`, ["bench/load.ts", json]]
    : ["node", [`${RUNS}/load.mjs`, json]];
  return runJson(`${runtime} load`, command, args, config.out, timeoutMs);
}

/** Runs the server modes (bench/server.ts) under Deno. */
function runServer(config: { out: string }, timeoutMs: number): Promise<ServerResult> {
  const args = ["run", "-A", "research/server.ts", JSON.stringify(config)];
  return runJson("server modes", `${BIN}/deno`, args, config.out, timeoutMs);
}

/** Runs a program that writes its results to `out`; resolves with them. */
function runJson<T>(
  what: string,
  command: string,
  args: string[],
  out: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    const timer = setTimeout(() => {
      // SIGTERM first, so that it stops what it started (the server modes' valgrind server).
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      reject(new Error(`${what} run exceeded ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${what} run failed (exit ${code ?? signal})`));
        return;
      }
      resolve(JSON.parse(readFileSync(out, "utf8")));
    });
  });
}

/** Builds the load script for Node (which cannot run .ts) and the C latency proxy. */
function build(jsProxy: boolean): { proxy: string[]; proxyLabel: string } {
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
  const cc = jsProxy ? undefined : spawnSync(
    "cc",
    ["-O2", "-o", `${RUNS}/latency_proxy`, "research/latency_proxy.c"],
    { cwd: ROOT, stdio: "inherit" },
  );
  if (cc?.status === 0) {
    return { proxy: [`${RUNS}/latency_proxy`], proxyLabel: "research/latency_proxy.c, timerfd" };
  }
  log("no C compiler (or --js-proxy): using the Bun delay proxy, research/latency_proxy.ts");
  return {
    proxy: [`${BIN}/bun`, "research/latency_proxy.ts"],
    proxyLabel: "research/latency_proxy.ts on Bun, JavaScript timers",
  };
}

interface Proxy {
  port: number;
  stop(): void;
}

function startProxy(command: string[], targetPort: number, delayUs: number): Promise<Proxy> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      command[0],
      [...command.slice(1), "0", String(targetPort), String(Math.round(delayUs))],
      { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] },
    );
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the latency proxy did not start within 10 s"));
    }, 10_000);
    let out = "";
    child.stdout!.on("data", (chunk: Uint8Array) => {
      out += String(chunk);
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        // Closing its stdin stops it; so does this process exiting.
        resolve({ port: Number(m[1]), stop: () => child.stdin!.end() });
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const OPS: OpSpec[] = [
  { op: "setSession" },
  { op: "getSession" },
  { op: "getSessionsByUserId", k: 1 },
  { op: "getSessionsByUserId", k: 10 },
  { op: "getSessionsByUserId", k: 100 },
  { op: "deleteSession" },
  { op: "deleteSessionsByUserId", k: 10 },
];

async function main(): Promise<void> {
  const smoke = flag("smoke") !== undefined;
  const out = flag("out")?.replace(/[^\w.-]/g, "_");
  const resultsJson = `${RUNS}/${out ?? (smoke ? "results.smoke" : "results")}.json`;
  const resultsMd = out
    ? `${RUNS}/${out}.md`
    : smoke
    ? `${RUNS}/RESULTS.smoke.md`
    : `${ROOT}bench/RESULTS.md`;
  if (flag("render") !== undefined) {
    writeReport(JSON.parse(readFileSync(resultsJson, "utf8")), resultsMd);
    log(`rendered ${resultsMd} and its charts`);
    return;
  }
  const started = performance.now();
  const repeats = Number(flag("repeats") ?? (smoke ? 1 : 7));
  const durationMs = Number(flag("duration") ?? (smoke ? 25 : 120));
  const runtimes = (flag("runtimes") ?? "deno,bun,node").split(",");
  const latency = flag("no-latency") === undefined;
  const latencyRepeats = smoke ? 1 : 3;
  const concurrencies = [1, 256];
  const data: RunData = {
    smoke,
    date: new Date().toISOString(),
    machine: machine(),
    redis: "",
    versions: versions(),
    config: {
      repeats,
      durationMs,
      concurrencies,
      latencyRepeats,
      memorySessions: smoke ? 200 : 10_000,
      expireMs: smoke ? 300 : 1000,
    },
    results: [],
    elapsedSeconds: 0,
  };
  const { proxy: proxyCommand, proxyLabel } = build(flag("js-proxy") !== undefined);
  const server = await startRedisServer({ env: "" });
  data.redis = server.version;
  log(`redis-server ${server.version} on ${server.url}`);
  const base = (run: string, out: string): LoadConfig => ({
    modes: ["throughput"],
    url: server.url,
    directUrl: server.url,
    run,
    clients: ["node-redis"],
    subjects: ["ours", "ours2", "v2", "raw", "connect"],
    ops: OPS,
    concurrencies,
    repeats,
    durationMs,
    maxOps: smoke ? 64 : 200_000,
    countOps: smoke ? 3 : 20,
    countKs: [1, 10, 100],
    countClients: ["node-redis"],
    memorySessions: data.config.memorySessions,
    memoryKs: [1, 10],
    expireMs: data.config.expireMs,
    retainedSubjects: smoke
      ? ["ours", "oursV2", "v2", "raw"]
      : ["ours", "oursV2", "v2", "raw", "connect"],
    out: `${RUNS}/${out}.json`,
  });
  const timeout = smoke ? 60_000 : 600_000;
  let proxy: Proxy | undefined;
  try {
    if (runtimes.includes("deno")) {
      log("Deno: commands, memory, throughput");
      data.results.push(
        await runLoad("deno", {
          ...base("loopback", "deno"),
          modes: ["counts", "memory", "throughput"],
          // The Lucia v2 entry: commands and memory beside 2.1.2 (its server cost: below).
          extraSubjects: ["oursV2"],
        }, timeout),
      );
    }
    const serverModes = (flag("server") ?? SERVER_MODES.join(",")).split(",").filter(Boolean);
    if (serverModes.length > 0) {
      log(`Deno: server modes (${serverModes.join(", ")})`);
      data.server = await runServer(
        serverConfig({
          smoke,
          url: server.url,
          pid: server.pid,
          out: `${RUNS}/server.json`,
          modes: serverModes as ServerMode[],
          processes: Number(flag("processes") ?? os.cpus().length),
          repeats: flag("server-repeats") === undefined
            ? undefined
            : Number(flag("server-repeats")),
          subjects: list("server-subjects") as ServerConfig["cost"]["subjects"] | undefined,
          ops: list("server-ops"),
        }),
        smoke ? 60_000 : 1_800_000,
      );
    }
    const clusterParts = flag("no-cluster") !== undefined
      ? []
      : (flag("cluster") || CLUSTER_PARTS.join(",")).split(",").filter(Boolean);
    if (clusterParts.length > 0) {
      log(`Deno: Redis Cluster (${clusterParts.join(", ")})`);
      data.cluster = await runCluster(
        clusterConfig({
          smoke,
          parts: clusterParts as ClusterPart[],
          out: `${RUNS}/cluster.json`,
          repeats: flag("cluster-repeats") === undefined
            ? undefined
            : Number(flag("cluster-repeats")),
        }),
        smoke ? 60_000 : 900_000,
      );
    }
    if (flag("no-migrate") === undefined) {
      log(`Deno: migrate over legacy data${smoke ? " (smoke size)" : ""}`);
      const out = `${RUNS}/migrate${smoke ? "-smoke" : ""}.json`;
      const args = [
        "run",
        "-A",
        "research/migrate.ts",
        "--out",
        out,
        ...(smoke ? ["--smoke"] : []),
      ];
      data.migrate = await runJson("migrate", `${BIN}/deno`, args, out, smoke ? 60_000 : 900_000);
    }
    if (runtimes.includes("bun")) {
      log("Bun: throughput over node-redis and Bun's RedisClient");
      data.results.push(
        await runLoad("bun", {
          ...base("loopback", "bun"),
          modes: ["counts", "throughput"],
          clients: ["node-redis", "bun"],
          countClients: ["bun"],
        }, timeout),
      );
    }
    if (runtimes.includes("node")) {
      log("Node: throughput");
      data.results.push(await runLoad("node", base("loopback", "node"), timeout));
    }
    if (latency) {
      // Calibrate: holding requests 1 ms adds a little more than 1 ms (the proxy's hop, and
      // wake-ups after idling), so measure what 1 ms of holding adds and hold for less.
      proxy = await startProxy(proxyCommand, server.port, 1000);
      const probe = await runLoad("node", {
        ...base("calibrate", "calibrate"),
        modes: ["rtt"],
        url: `redis://127.0.0.1:${proxy.port}`,
      }, timeout);
      proxy.stop();
      const added = (probe.rtt!.measured.p50 - probe.rtt!.direct.p50) * 1000;
      const delayUs = Math.max(0, Math.min(1000, 1000 - (added - 1000)));
      log(`holding 1000 µs added ${added.toFixed(0)} µs: holding ${delayUs.toFixed(0)} µs`);
      proxy = await startProxy(proxyCommand, server.port, delayUs);
      const result = await runLoad("node", {
        ...base("latency", "latency"),
        modes: ["rtt", "throughput"],
        url: `redis://127.0.0.1:${proxy.port}`,
        subjects: ["ours", "v2", "raw", "connect"],
        repeats: latencyRepeats,
        durationMs: smoke ? durationMs : 400,
      }, timeout);
      data.results.push(result);
      data.latency = {
        proxy: proxyLabel,
        delayUs: Math.round(delayUs),
        direct: result.rtt!.direct,
        proxied: result.rtt!.measured,
      };
    }
  } finally {
    proxy?.stop();
    await server.stop();
  }
  data.machine.loadAfter = os.loadavg();
  data.elapsedSeconds = (performance.now() - started) / 1000;
  writeFileSync(resultsJson, JSON.stringify(data, null, 1));
  writeReport(data, resultsMd);
  log(`wrote ${resultsMd} (${data.elapsedSeconds.toFixed(0)} s)`);
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`[bench] failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
