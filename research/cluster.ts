/**
 * The benchmark's cluster mode: this adapter on a real Redis Cluster (its cluster path, over a
 * node-redis 5 `createCluster()` client; both entries, Lucia v1's and Lucia v2's) against
 * adapter 2.1.2 (over node-redis 4's `createCluster()`), per operation: commands and round trips
 * (cross-checked with MONITOR on every primary), the Redis µs of its commands summed over the
 * primaries, their CPU time, and ops/s at concurrency 1 and 64.
 *
 * Starts its own cluster (scripts/redis/cluster.ts: 3 primaries and 3 replicas on free loopback
 * ports; never REDIS_CLUSTER_URLS, as it flushes and resets statistics) and stops it when done;
 * if this process dies, the harness's watchdog removes the nodes.
 *
 * Usage: deno run -A research/cluster.ts '<ClusterConfig JSON>'
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { openClusterBench } from "./cluster/clients.ts";
import { costPart, countsPart, warmAll } from "./cluster/measure.ts";
import type { ClusterConfig, ClusterResult } from "./cluster/types.ts";
import { log, runtimeInfo } from "../bench/load/common.ts";

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[process.argv.length - 1]) as ClusterConfig;
  const { runtime, version } = runtimeInfo();
  const bench = await openClusterBench(config.subjects);
  log(
    `Redis Cluster ${bench.redis}: ${bench.primaries.length} primaries, ${bench.replicas} ` +
      `replicas, ready in ${bench.startSeconds.toFixed(1)} s`,
  );
  const result: ClusterResult = {
    runtime,
    runtimeVersion: version,
    redis: bench.redis,
    primaries: bench.primaries.length,
    replicas: bench.replicas,
    clients: bench.clients,
    startSeconds: bench.startSeconds,
    counts: [],
    cost: [],
    concurrencies: config.concurrencies,
    slices: config.slices,
  };
  try {
    await warmAll(bench);
    if (config.parts.includes("counts")) result.counts = await countsPart(config, bench);
    if (config.parts.includes("cost")) result.cost = await costPart(config, bench);
  } finally {
    await bench.close();
  }
  writeFileSync(config.out, JSON.stringify(result));
  log("cluster done");
}

// Stopped from outside (research/run.ts on a timeout): exit; the watchdog removes the nodes.
process.on("SIGTERM", () => process.exit(143));

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`cluster mode failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
