/**
 * Starts and stops a private Redis Cluster (by default 3 primaries, each with 1 replica) on free
 * loopback ports for tests and benchmarks, or describes an external one named by
 * `REDIS_CLUSTER_URLS` (never flushed, never stopped, never killed).
 *
 * Not part of the published module: it uses Node's APIs (which Deno and Bun also provide) to
 * spawn `redis-server` and `redis-cli`, find free ports, and speak RESP over plain sockets.
 *
 * Every node is a child process of the caller. A small watchdog (`sh`, in its own process group)
 * holds the read end of a pipe from the caller: if the caller dies without calling `stop()`
 * (a crash, SIGKILL, an uncaught error), the pipe closes and the watchdog SIGKILLs the nodes and
 * deletes the cluster's temporary directory, so no node lingers and no `nodes.conf` survives to
 * rejoin an old cluster.
 *
 * The pieces live in `scripts/redis/cluster/`: `types.ts` (the public shapes), `resp.ts` (one
 * command to one node), `topology.ts` (`CLUSTER NODES` and each node's view), `wait.ts` (polling),
 * `nodes.ts` (ports, node processes, the watchdog), `start.ts` and `external.ts` (owned and
 * `REDIS_CLUSTER_URLS` clusters), `failover.ts` (kills, failover, restarts, slot migration). This
 * file is the entry point: it re-exports them and runs as a program.
 *
 * @module
 */
import { infoField, text } from "./cluster/resp.ts";
import { startRedisCluster } from "./cluster/start.ts";

export type {
  ClusterNode,
  Failover,
  KilledPrimary,
  RedisCluster,
  RedisClusterOptions,
} from "./cluster/types.ts";
export { nodeCommand, type Reply, ReplyError } from "./cluster/resp.ts";
export { parseClusterNodes } from "./cluster/topology.ts";
export { startRedisCluster };

/**
 * Run as a program (`deno run -A scripts/redis/cluster.ts` or `bun scripts/redis/cluster.ts`):
 * starts a private cluster, prints one JSON line on stdout (`REDIS_CLUSTER_URLS`, `dir`,
 * `ports`, `pids`) so other processes can use it, and stops it on SIGINT or SIGTERM. If this
 * process dies any other way, the watchdog still removes the nodes and the directory.
 */
async function main(): Promise<void> {
  const cluster = await startRedisCluster({ env: "" });
  const pids: number[] = [];
  for (const node of cluster.nodes) {
    const info = await text(node.host, node.port, ["INFO", "server"]);
    pids.push(Number(infoField(info, "process_id")));
  }
  console.log(JSON.stringify({
    REDIS_CLUSTER_URLS: cluster.nodes.map((node) => `${node.host}:${node.port}`).join(","),
    dir: cluster.dir,
    ports: cluster.nodes.map((node) => node.port),
    pids,
  }));
  console.error("Redis Cluster ready; Ctrl-C stops it.");
  // Typed as whatever setInterval returns where it is checked (a file checked on its own sees
  // Bun's Timer, which Node's clearInterval does not take).
  const keepAlive: Parameters<typeof clearInterval>[0] = setInterval(() => {}, 1 << 30) as never;
  const shutdown = async () => {
    clearInterval(keepAlive);
    await cluster.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

if ((import.meta as ImportMeta & { main?: boolean }).main) await main();
