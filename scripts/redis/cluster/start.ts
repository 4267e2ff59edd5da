/**
 * Starting a private Redis Cluster on free loopback ports (or describing the external one named
 * by `REDIS_CLUSTER_URLS`), and stopping it.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { externalCluster } from "./external.ts";
import { ownedClusterActions } from "./failover.ts";
import {
  freeClusterPort,
  killNode,
  onPath,
  type OwnedNode,
  runRedisCli,
  spawnNode,
  startWatchdog,
  waitForPing,
} from "./nodes.ts";
import { HOST, text } from "./resp.ts";
import { accessors, parseClusterNodes, unhealthy, viewOf } from "./topology.ts";
import type { RedisCluster, RedisClusterOptions } from "./types.ts";
import { pollUntil, Waiting } from "./wait.ts";

const HOW_TO_GET_ONE = "Install redis-server and redis-cli (Debian/Ubuntu: `apt-get install " +
  "redis-server`; macOS: `brew install redis`) so they are on PATH, or set REDIS_CLUSTER_URLS " +
  "to `host:port,host:port` of a Redis Cluster (>= 6.2) that may be written to.";

/**
 * Returns the Redis Cluster to use: `REDIS_CLUSTER_URLS` when set (`host:port,host:port`; never
 * flushed, killed or stopped), otherwise a private cluster of `redis-server`s from PATH on free
 * loopback ports, created with `redis-cli --cluster create`, with persistence off and its
 * `nodes.conf` files in a fresh temporary directory. Resolves once every node reports
 * `cluster_state:ok`, all agree on who serves every slot, and every replica is in sync.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const fromEnv = options.env ?? process.env.REDIS_CLUSTER_URLS;
  if (fromEnv) return await externalCluster(fromEnv);

  const primaryCount = options.primaries ?? 3;
  const replicasPerPrimary = options.replicasPerPrimary ?? 1;
  const nodeTimeout = options.nodeTimeout ?? 2000;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const extraArgs = options.extraArgs ?? [];
  if (primaryCount < 3) throw new RangeError("A Redis Cluster needs at least 3 primaries");
  const total = primaryCount * (1 + replicasPerPrimary);

  for (const command of ["redis-server", "redis-cli"]) {
    if (!onPath(command)) {
      throw new Error(
        `No Redis Cluster to test against: ${command} is not on PATH. ${HOW_TO_GET_ONE}`,
      );
    }
  }

  const root = mkdtempSync(join(tmpdir(), "redis-cluster-"));
  const watchdog = startWatchdog(root);
  const owned = new Map<number, OwnedNode>();
  let stopped: Promise<void> | undefined;

  const adopt = (node: OwnedNode) => {
    owned.set(node.port, node);
    if (node.child.pid) watchdog.stdin?.write(`${node.child.pid}\n`);
  };

  const stop = () =>
    stopped ??= (async () => {
      await Promise.all([...owned.values()].map((node) => killNode(node, "SIGTERM", 2000)));
      rmSync(root, { recursive: true, force: true });
      // Everything is gone: the watchdog has nothing left to do.
      if (watchdog.exitCode === null && watchdog.signalCode === null) {
        const gone = new Promise<void>((resolve) => watchdog.once("exit", () => resolve()));
        watchdog.ref();
        watchdog.kill("SIGKILL");
        await gone;
      }
    })();

  try {
    const taken = new Set<number>();
    let version = "unknown";
    const startOne = async () => {
      let lastError: unknown;
      for (let attempt = 0; attempt < 5; attempt++) {
        const node = spawnNode(root, await freeClusterPort(taken), nodeTimeout, extraArgs);
        adopt(node);
        try {
          version = await waitForPing(node, 5000);
          return;
        } catch (error) {
          // Most likely another process took the port (or its bus port) first: try another.
          lastError = error;
          await killNode(node, "SIGKILL", 0);
          owned.delete(node.port);
        }
      }
      throw lastError;
    };
    const started = await Promise.allSettled(Array.from({ length: total }, startOne));
    for (const result of started) if (result.status === "rejected") throw result.reason;
    const ports = [...owned.keys()].sort((a, b) => a - b);

    const created = await runRedisCli([
      "--cluster",
      "create",
      ...ports.map((port) => `${HOST}:${port}`),
      "--cluster-replicas",
      String(replicasPerPrimary),
      "--cluster-yes",
    ], startTimeoutMs);
    if (created.code !== 0 || !/All 16384 slots covered/.test(created.output)) {
      throw new Error(`redis-cli --cluster create failed (${created.code}):\n${created.output}`);
    }

    const views = await pollUntil("Redis Cluster ready", startTimeoutMs, async () => {
      const views = await Promise.all(ports.map((port) => viewOf(HOST, port)));
      const why = unhealthy(views, total);
      return why ? new Waiting(why) : views;
    });

    const liveNodes = () => [...owned.values()].filter((node) => !node.exited);
    const topology = async () => {
      let last: unknown;
      for (const node of liveNodes()) {
        try {
          const nodes = parseClusterNodes(await text(HOST, node.port, ["CLUSTER", "NODES"]));
          // A node this process knows to be dead is failed even before the cluster agrees.
          return nodes.map((n) => owned.get(n.port)?.exited ? { ...n, failed: true } : n);
        } catch (error) {
          last = error;
        }
      }
      throw new Error(`No node of the cluster answered CLUSTER NODES: ${String(last)}`);
    };
    const described = accessors(ports.map((port) => ({ host: HOST, port })), topology);
    const actions = ownedClusterActions({
      root,
      nodeTimeout,
      extraArgs,
      total,
      owned,
      adopt,
      liveNodes,
      topology,
    });

    return {
      owned: true,
      version,
      nodeTimeout,
      nodes: views[0].nodes.sort((a, b) => a.port - b.port),
      dir: root,
      ...described,
      ...actions,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
