/**
 * The cluster mode's connections: a private Redis Cluster (scripts/redis/cluster.ts), this
 * adapter over a node-redis 5 `createCluster()` client (its cluster path), 2.1.2 over node-redis
 * 4's `createCluster()` (the client it was written for: it calls `get`, `set`, `sAdd`,
 * `sMembers`, `del` and `sRem`, each of one key, which the cluster client routes by that key),
 * each subject behind its own counting wrapper; and an admin connection to every primary.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { createCluster as createCluster4 } from "redis4";
import { createCluster as createCluster5 } from "redis5";
import { startRedisCluster } from "../../scripts/redis/cluster.ts";
import { countingClient, type Counts } from "../../bench/counting.ts";
import { type Admin, openAdmin } from "../../bench/load/clients.ts";
import { log } from "../../bench/load/common.ts";
import { threadCpuNs } from "../server/stats.ts";
import { oursSubject, oursV2Subject, type Subject, v2Subject } from "../../bench/subjects.ts";
import type { ClusterSubjectKey } from "./types.ts";

/** A subject over its own counting wrapper around its cluster client. */
export interface CountedSubject {
  key: ClusterSubjectKey;
  subject: Subject;
  counts: Counts;
}

/** A primary: its admin connection, address and pid. */
export interface Primary {
  admin: Admin;
  host: string;
  port: number;
  pid: number;
}

/** The cluster, its primaries, and the subjects over the two cluster clients. */
export interface ClusterBench {
  redis: string;
  primaries: Primary[];
  replicas: number;
  startSeconds: number;
  clients: Record<ClusterSubjectKey, string>;
  subjects: CountedSubject[];
  /** Sends one command to every primary. */
  everyPrimary(args: string[]): Promise<unknown[]>;
  /** CPU time of the primaries' main threads (ns), summed; NaN where unknown. */
  cpuNs(): number;
  close(): Promise<void>;
}

/** The node-redis cluster methods used here (4 and 5 alike). */
interface ClusterClient {
  on(event: "error", listener: (error: unknown) => void): unknown;
  connect(): Promise<unknown>;
  quit?(): Promise<unknown>;
  close?(): Promise<unknown>;
}

function version(path: string): string {
  try {
    return JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")).version;
  } catch {
    return "?";
  }
}

async function connected(client: ClusterClient, label: string): Promise<ClusterClient> {
  client.on("error", (error) => log(`${label} error: ${String(error)}`));
  await client.connect();
  return client;
}

/** Starts a private cluster (never REDIS_CLUSTER_URLS: it is flushed) and opens everything. */
export async function openClusterBench(keys: ClusterSubjectKey[]): Promise<ClusterBench> {
  const t = performance.now();
  const cluster = await startRedisCluster({ env: "" });
  const startSeconds = (performance.now() - t) / 1000;
  const opened: ClusterClient[] = [];
  const primaries: Primary[] = [];
  try {
    if (!cluster.owned) throw new Error("the cluster mode needs a cluster of its own");
    for (const node of await cluster.primaries()) {
      const admin = await openAdmin(`redis://${node.host}:${node.port}`);
      primaries.push({ admin, host: node.host, port: node.port, pid: 0 });
      primaries[primaries.length - 1].pid = await admin.info("server", "process_id");
    }
    const rootNodes = cluster.rootNodes.map(({ url }) => ({ url }));
    const label5 = `node-redis ${
      version("../../node_modules/redis5/package.json")
    } createCluster()`;
    const label4 = `node-redis ${
      version("../../node_modules/redis4/package.json")
    } createCluster()`;
    const five = await connected(createCluster5({ rootNodes }) as unknown as ClusterClient, label5);
    opened.push(five);
    const four = await connected(createCluster4({ rootNodes }) as unknown as ClusterClient, label4);
    opened.push(four);
    const subjects = keys.map((key): CountedSubject => {
      const { client, counts } = countingClient(key === "v2" ? four : five);
      const subject = key === "ours"
        ? oursSubject(client, label5)
        : key === "oursV2"
        ? oursV2Subject(client, label5)
        : v2Subject(client, label4);
      return { key, subject, counts };
    });
    return {
      redis: cluster.version,
      primaries,
      replicas: cluster.nodes.length - primaries.length,
      startSeconds,
      clients: { ours: label5, oursV2: label5, v2: label4 },
      subjects,
      everyPrimary: (args) => Promise.all(primaries.map((p) => p.admin.send(args))),
      cpuNs: () => primaries.reduce((sum, p) => sum + threadCpuNs(p.pid), 0),
      close: async () => {
        try {
          for (const client of opened) await (client.close ?? client.quit)!.call(client);
          for (const p of primaries) await p.admin.close();
        } finally {
          await cluster.stop();
        }
      },
    };
  } catch (error) {
    for (const client of opened) await (client.close ?? client.quit)!.call(client).catch(() => {});
    for (const p of primaries) await p.admin.close().catch(() => {});
    await cluster.stop();
    throw error;
  }
}
