/**
 * A Redis Cluster named by `REDIS_CLUSTER_URLS`: described, never flushed, killed or stopped.
 *
 * @module
 */
import { HOST, infoField, nodeCommand, text } from "./resp.ts";
import { accessors, parseClusterNodes } from "./topology.ts";
import type { RedisCluster } from "./types.ts";

function parseUrls(list: string): { host: string; port: number }[] {
  return list.split(",").map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const url = new URL(entry.includes("://") ? entry : `redis://${entry}`);
    return { host: url.hostname || HOST, port: Number(url.port || 6379) };
  });
}

/** Describes the cluster whose nodes `list` names (`host:port,host:port`). */
export async function externalCluster(list: string): Promise<RedisCluster> {
  const endpoints = parseUrls(list);
  if (endpoints.length === 0) throw new Error("REDIS_CLUSTER_URLS names no node");
  const topology = async () => {
    let last: unknown;
    for (const { host, port } of endpoints) {
      try {
        return parseClusterNodes(await text(host, port, ["CLUSTER", "NODES"]));
      } catch (error) {
        last = error;
      }
    }
    throw new Error(`No node of REDIS_CLUSTER_URLS answered CLUSTER NODES: ${String(last)}`);
  };
  const nodes = await topology();
  const first = endpoints[0];
  const info = await text(first.host, first.port, ["INFO", "server"]).catch(() => "");
  const timeoutReply = await nodeCommand(first.host, first.port, [
    "CONFIG",
    "GET",
    "cluster-node-timeout",
  ]).catch(() => null);
  const nodeTimeout = Array.isArray(timeoutReply) ? Number(timeoutReply[1] ?? 0) : 0;
  const refuse = (what: string) => () =>
    Promise.reject(new Error(`${what} is only allowed on a cluster this process started`));
  return {
    owned: false,
    version: infoField(info, "redis_version") ?? "unknown",
    nodeTimeout,
    nodes,
    dir: undefined,
    ...accessors(endpoints, topology),
    killPrimaryOf: refuse("killPrimaryOf"),
    waitForFailover: refuse("waitForFailover"),
    restartNode: refuse("restartNode"),
    migrateSlot: refuse("migrateSlot"),
    stop: () => Promise.resolve(),
  };
}
