/**
 * A real Redis Cluster for a test file: 3 primaries and 3 replicas on free loopback ports
 * (scripts/redis/cluster.ts), or `REDIS_CLUSTER_URLS`; an inspection client that offers the few
 * commands the suites use, routed to the right node; and the cluster clients to test.
 *
 * @module
 */
import { after, before } from "node:test";
import { createCluster } from "redis4";
import { nodeCommand, type RedisCluster, startRedisCluster } from "../../scripts/redis/cluster.ts";
import type { OpenedClient } from "../contract/suite.ts";
import type { Admin, Endpoint } from "./harness.ts";

export type { RedisCluster };

/** What a test file gets from {@linkcode useRedisCluster}. */
export interface TestCluster {
  cluster: RedisCluster;
  /** An inspection client over the whole cluster (node-redis 4's cluster, wrapped). */
  admin: Admin;
  /** The primaries, for MONITOR. */
  primaries: Endpoint[];
  /** Run (in order) after the file's tests, before the cluster stops: close clients here. */
  cleanups: (() => Promise<void>)[];
  /** Opens a new inspection client (and primaries list): after a failover, say. */
  reconnect(): Promise<void>;
}

type Cluster4 = ReturnType<typeof createCluster>;

/**
 * The suites' inspection client over a cluster: node-redis 4's cluster client, which routes its
 * typed commands by key, with `sendCommand(args)` routed by the command's first key, `exists`
 * and `del` of several keys split per key, and `scanKeys` SCANning every primary.
 */
async function clusterAdmin(
  cluster: RedisCluster,
): Promise<{ admin: Admin; close(): Promise<void> }> {
  // The live primaries only: node-redis 4 keeps retrying a dead root node instead of moving on.
  const live = await cluster.primaries();
  const c: Cluster4 = createCluster({
    rootNodes: live.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
  });
  c.on("error", () => {}); // A node that dies on purpose (a failover test) is no test failure.
  await c.connect();
  const perKey = async (keys: string | string[], one: (key: string) => Promise<number>) =>
    Array.isArray(keys)
      ? (await Promise.all(keys.map(one))).reduce((a, b) => a + b, 0)
      : await one(keys);
  const admin = new Proxy(c, {
    get(target, name, receiver) {
      if (name === "sendCommand") {
        return (args: string[]) => target.sendCommand(args[1], false, args);
      }
      if (name === "exists") {
        return (keys: string | string[]) => perKey(keys, (key) => target.exists(key));
      }
      if (name === "del") {
        return (keys: string | string[]) => perKey(keys, (key) => target.del(key));
      }
      if (name === "scanKeys") {
        return async (pattern: string) => {
          const found: string[] = [];
          for (const { host, port } of await cluster.primaries()) {
            let cursor = "0";
            do {
              const reply = await nodeCommand(host, port, [
                "SCAN",
                cursor,
                "MATCH",
                pattern,
                "COUNT",
                "1000",
              ]) as [string, string[]];
              cursor = reply[0];
              found.push(...reply[1]);
            } while (cursor !== "0");
          }
          return found;
        };
      }
      const value = Reflect.get(target, name, receiver);
      // Bound to the client itself: its methods call its own sendCommand.
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as unknown as Admin;
  // disconnect(), not quit(): quit() would wait forever on a node that has died.
  return { admin, close: () => c.disconnect() };
}

/** Starts a cluster before the file's tests (or uses REDIS_CLUSTER_URLS) and stops it after. */
export function useRedisCluster(): TestCluster {
  const ctx = { cleanups: [] as TestCluster["cleanups"] } as TestCluster;
  let closeAdmin: (() => Promise<void>) | undefined;
  ctx.reconnect = async () => {
    await closeAdmin?.().catch(() => {});
    const { admin, close } = await clusterAdmin(ctx.cluster);
    ctx.admin = admin;
    closeAdmin = close;
    ctx.primaries = (await ctx.cluster.primaries()).map(({ host, port }) => ({ host, port }));
  };
  before(async () => {
    ctx.cluster = await startRedisCluster();
    await ctx.reconnect();
  }, { timeout: 60_000 });
  after(async () => {
    for (const cleanup of ctx.cleanups) await cleanup();
    await closeAdmin?.();
    await ctx.cluster?.stop();
  });
  return ctx;
}

/** A cluster client setup: its name, and how to open it against a cluster. */
export interface ClusterSetup {
  name: string;
  open(cluster: RedisCluster): Promise<OpenedClient>;
}

/** The cluster clients: node-redis 4, 5 and 6 `createCluster()`, ioredis 5 and 6 `Cluster`. */
export const CLUSTER_SETUPS: ClusterSetup[] = [
  ...(["redis4", "redis5", "redis6"] as const).map((pkg, i): ClusterSetup => ({
    name: `a node-redis ${i + 4} cluster`,
    async open(cluster) {
      const { createCluster } = await import(pkg);
      const client = createCluster({ rootNodes: [...cluster.rootNodes] });
      client.on("error", () => {});
      await client.connect();
      // Not quit(): after a failover it would wait forever on the node that died.
      return {
        client,
        close: async () => void await (client.destroy ?? client.disconnect).call(client),
      };
    },
  })),
  ...(["ioredis5", "ioredis6"] as const).map((pkg, i): ClusterSetup => ({
    name: `an ioredis ${i + 5} Cluster`,
    async open(cluster) {
      const { Cluster } = await import(pkg);
      const client = new Cluster([...cluster.startupNodes]);
      await new Promise<void>((resolve, reject) => {
        client.once("ready", () => resolve());
        client.once("error", reject);
      });
      return { client, close: () => Promise.resolve(client.disconnect()) };
    },
  })),
];
