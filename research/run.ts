/**
 * The research harness's run: what the user-facing bench (bench/run.ts) leaves out, written to
 * research/.runs/results.json and rendered to research/RESULTS.md and research/charts/.
 *
 * On a private redis-server (never REDIS_URL): research/server.ts (what each operation costs
 * the server: commandstats and CPU per request, callgrind instruction counts on a second server
 * when valgrind is installed, script variants and previous designs, saturation, worst case
 * against sessions per user), research/cluster.ts (on a Redis Cluster of its own: commands,
 * round trips, Redis µs and ops/s per operation against 2.1.2), research/migrate.ts (the
 * `migrate` command over legacy data, in keys per second), and last bench/load.ts on Node
 * through a TCP delay proxy (research/latency_proxy.c, or the Bun one without `cc`) that adds
 * ~1 ms to every round trip.
 *
 * Options: `--smoke` (tiny N: checks that it runs; writes research/.runs/RESULTS.smoke.md),
 * `--server=cost,worst,saturation,instructions,variants` (`--server=` for none),
 * `--processes=N` (saturation clients; default one per core), `--server-repeats=N`,
 * `--server-subjects=oursV2,v2` and `--server-ops=updateSession(renewal),...` (only these
 * subjects and cells), `--cluster=counts,cost` or `--no-cluster`, `--cluster-repeats=N`,
 * `--no-migrate`, `--no-latency`, `--js-proxy`.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";
import { startRedisServer } from "../scripts/redis/server.ts";
import { pingRtt } from "./rtt.ts";
import { bundleForNode, flag, loadConfig, log, runJson, runLoad } from "../bench/run.ts";
import { machine, versions } from "../bench/run_env.ts";
import { CLUSTER_PARTS, clusterConfig } from "./cluster/config.ts";
import type { ClusterPart, ClusterResult } from "./cluster/types.ts";
import { type ResearchData, writeResearchReport } from "./report.ts";
import { SERVER_MODES, serverConfig } from "./server/config.ts";
import type { ServerConfig, ServerMode, ServerResult } from "./server/types.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const RUNS = `${ROOT}research/.runs`;
const BIN = `${ROOT}node_modules/.bin`;

function list(name: string): string[] | undefined {
  return flag(name)?.split(",").filter(Boolean);
}

/** Builds the C latency proxy; falls back to the Bun one. */
function buildProxy(jsProxy: boolean): { command: string[]; label: string } {
  const cc = jsProxy ? undefined : spawnSync(
    "cc",
    ["-O2", "-o", `${RUNS}/latency_proxy`, "research/latency_proxy.c"],
    { cwd: ROOT, stdio: "inherit" },
  );
  if (cc?.status === 0) {
    return { command: [`${RUNS}/latency_proxy`], label: "research/latency_proxy.c, timerfd" };
  }
  log("no C compiler (or --js-proxy): using the Bun delay proxy, research/latency_proxy.ts");
  return {
    command: [`${BIN}/bun`, "research/latency_proxy.ts"],
    label: "research/latency_proxy.ts on Bun, JavaScript timers",
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

async function main(): Promise<void> {
  const smoke = flag("smoke") !== undefined;
  const started = performance.now();
  mkdirSync(RUNS, { recursive: true });
  const resultsJson = `${RUNS}/results${smoke ? ".smoke" : ""}.json`;
  const resultsMd = smoke ? `${RUNS}/RESULTS.smoke.md` : `${ROOT}research/RESULTS.md`;
  const latencyRepeats = smoke ? 1 : 3;
  const server = await startRedisServer({ env: "" });
  log(`redis-server ${server.version} on ${server.url}`);
  const base = (run: string, out: string) =>
    loadConfig({ smoke, url: server.url, run, out, repeats: 1, durationMs: smoke ? 25 : 400 });
  const data: ResearchData = {
    smoke,
    date: new Date().toISOString(),
    machine: machine(),
    redis: server.version,
    versions: versions(),
    config: {
      repeats: latencyRepeats,
      durationMs: smoke ? 25 : 400,
      concurrencies: [1, 256],
      latencyRepeats,
      memorySessions: 0,
      expireMs: 0,
    },
    results: [],
    elapsedSeconds: 0,
  };
  let proxy: Proxy | undefined;
  try {
    const serverModes = (flag("server") ?? SERVER_MODES.join(",")).split(",").filter(Boolean);
    if (serverModes.length > 0) {
      log(`server modes (${serverModes.join(", ")})`);
      data.server = runJson<ServerResult>(
        "server modes",
        `${BIN}/deno`,
        [
          "run",
          "-A",
          "research/server.ts",
          JSON.stringify(serverConfig({
            smoke,
            url: server.url,
            pid: server.pid,
            out: `${RUNS}/server.json`,
            modes: serverModes as ServerMode[],
            processes: Number(flag("processes") ?? os.cpus().length),
            repeats: flag("server-repeats") ? Number(flag("server-repeats")) : undefined,
            subjects: list("server-subjects") as ServerConfig["cost"]["subjects"] | undefined,
            ops: list("server-ops"),
          })),
        ],
        `${RUNS}/server.json`,
        smoke ? 60_000 : 1_800_000,
      );
    }
    const clusterParts = flag("no-cluster") !== undefined
      ? []
      : (flag("cluster") || CLUSTER_PARTS.join(",")).split(",").filter(Boolean);
    if (clusterParts.length > 0) {
      log(`Redis Cluster (${clusterParts.join(", ")})`);
      const config = clusterConfig({
        smoke,
        parts: clusterParts as ClusterPart[],
        out: `${RUNS}/cluster.json`,
        repeats: flag("cluster-repeats") ? Number(flag("cluster-repeats")) : undefined,
      });
      data.cluster = runJson<ClusterResult>(
        "cluster mode",
        `${BIN}/deno`,
        ["run", "-A", "research/cluster.ts", JSON.stringify(config)],
        config.out,
        smoke ? 60_000 : 900_000,
      );
    }
    if (flag("no-migrate") === undefined) {
      log(`migrate over legacy data${smoke ? " (smoke size)" : ""}`);
      const out = `${RUNS}/migrate${smoke ? "-smoke" : ""}.json`;
      const args = [
        "run",
        "-A",
        "research/migrate.ts",
        "--out",
        out,
        ...(smoke ? ["--smoke"] : []),
      ];
      data.migrate = runJson("migrate", `${BIN}/deno`, args, out, smoke ? 60_000 : 900_000);
    }
    if (flag("no-latency") === undefined) {
      bundleForNode();
      const { command, label } = buildProxy(flag("js-proxy") !== undefined);
      const timeout = smoke ? 60_000 : 600_000;
      // Calibrate: holding requests 1 ms adds a little more than 1 ms (the proxy's hop, and
      // wake-ups after idling), so measure what 1 ms of holding adds and hold for less.
      // PING round trips are timed here, on Deno, over node-redis; throughput on Node.
      const pings = smoke ? 150 : 1000;
      proxy = await startProxy(command, server.port, 1000);
      const probe = await pingRtt(server.url, `redis://127.0.0.1:${proxy.port}`, pings);
      proxy.stop();
      const added = (probe.measured.p50 - probe.direct.p50) * 1000;
      const delayUs = Math.max(0, Math.min(1000, 1000 - (added - 1000)));
      log(`holding 1000 µs added ${added.toFixed(0)} µs: holding ${delayUs.toFixed(0)} µs`);
      proxy = await startProxy(command, server.port, delayUs);
      const url = `redis://127.0.0.1:${proxy.port}`;
      const rtt = await pingRtt(server.url, url, pings);
      const result = runLoad("node", {
        ...base("latency", "latency"),
        url,
        subjects: ["ours", "v2", "raw", "connect"],
        repeats: latencyRepeats,
      }, timeout);
      data.results.push(result);
      data.latency = {
        proxy: label,
        delayUs: Math.round(delayUs),
        direct: rtt.direct,
        proxied: rtt.measured,
      };
    }
  } finally {
    proxy?.stop();
    await server.stop();
  }
  data.machine.loadAfter = os.loadavg();
  data.elapsedSeconds = (performance.now() - started) / 1000;
  writeFileSync(resultsJson, JSON.stringify(data, null, 1));
  writeResearchReport(data, resultsMd);
  log(`wrote ${resultsMd} (${data.elapsedSeconds.toFixed(0)} s)`);
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`[research] failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
