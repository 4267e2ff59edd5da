/**
 * The public shapes of the Redis Cluster harness: a node, a cluster, what a kill and a failover
 * report, and the options of `startRedisCluster`.
 *
 * @module
 */

/** One node of the cluster as `CLUSTER NODES` describes it. */
export interface ClusterNode {
  /** The node's 40-character cluster id. */
  readonly id: string;
  /** Host to connect to. */
  readonly host: string;
  /** TCP port (the cluster bus is on port + 10000). */
  readonly port: number;
  /** `primary` (master) or `replica` (slave), as the cluster sees it now. */
  readonly role: "primary" | "replica";
  /** For a replica: the id of its primary. */
  readonly primaryId: string | undefined;
  /** The slot ranges a primary serves, as `[first, last]` pairs (inclusive). */
  readonly slots: readonly (readonly [number, number])[];
  /** True when the cluster has flagged the node as failed (`fail`), or it is unreachable. */
  readonly failed: boolean;
}

/** What {@linkcode RedisCluster.killPrimaryOf} did. */
export interface KilledPrimary {
  /** The primary that was SIGKILLed (as it was just before). */
  readonly node: ClusterNode;
  /** The slot it was asked about. */
  readonly slot: number;
  /** Its replicas just before the kill: one of them should take over. */
  readonly replicas: readonly ClusterNode[];
  /** `performance.now()` right after the process was seen to exit. */
  readonly killedAt: number;
}

/** What {@linkcode RedisCluster.waitForFailover} saw. */
export interface Failover {
  /** The node now serving the slot (a former replica of the killed primary). */
  readonly newPrimary: ClusterNode;
  /** Milliseconds from the kill to every live node agreeing on the new primary, state ok. */
  readonly ms: number;
}

/** A Redis Cluster this process started, or one it was pointed at with `REDIS_CLUSTER_URLS`. */
export interface RedisCluster {
  /** True when this process started the nodes (so they may be flushed, killed and stopped). */
  readonly owned: boolean;
  /** The nodes' Redis version, as `INFO server` reports it. */
  readonly version: string;
  /** `--cluster-node-timeout` in ms (for an external cluster: as `CONFIG GET` reported it, or 0). */
  readonly nodeTimeout: number;
  /** The nodes as they were once the cluster was ready (roles change after a failover). */
  readonly nodes: readonly ClusterNode[];
  /** `redis://host:port` of every node. */
  readonly urls: readonly string[];
  /** For node-redis: `createCluster({ rootNodes })`. */
  readonly rootNodes: readonly { url: string }[];
  /** For ioredis: `new Cluster(startupNodes)`. */
  readonly startupNodes: readonly { host: string; port: number }[];
  /** The temporary directory holding every node's `nodes.conf` (owned clusters only). */
  readonly dir: string | undefined;
  /** The cluster as a live node sees it now (failed nodes included, flagged `failed`). */
  topology(): Promise<ClusterNode[]>;
  /** The live primaries that serve slots now, in slot order (for a SCAN across the cluster). */
  primaries(): Promise<ClusterNode[]>;
  /** The live primary serving a key's slot (or a slot number) now. */
  primaryOf(keyOrSlot: string | number): Promise<ClusterNode>;
  /**
   * SIGKILLs the primary that serves `keyOrSlot` now and says which one it was. Owned clusters
   * only. Follow with {@linkcode RedisCluster.waitForFailover}.
   */
  killPrimaryOf(keyOrSlot: string | number): Promise<KilledPrimary>;
  /**
   * Waits until a former replica of the killed primary serves its slot, every live node agrees,
   * and every live node reports `cluster_state:ok`. Defaults to the last kill.
   */
  waitForFailover(killed?: KilledPrimary, options?: { timeoutMs?: number }): Promise<Failover>;
  /**
   * Starts a node killed earlier again, with its own `nodes.conf`: it rejoins the cluster (as a
   * replica of whoever took over its slots). Resolves once every node sees it as healthy.
   */
  restartNode(port: number, options?: { timeoutMs?: number }): Promise<ClusterNode>;
  /**
   * Moves the slot of `keyOrSlot` (with its keys) to the primary on port `toPort`, the way
   * `redis-cli --cluster reshard` does (SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE), and
   * resolves once every live node agrees. Clients that cached the old owner get `MOVED` next.
   * Owned clusters only.
   */
  migrateSlot(
    keyOrSlot: string | number,
    toPort: number,
  ): Promise<{ from: ClusterNode; to: ClusterNode }>;
  /** Kills every node this process started and deletes the directory. No-op when not owned. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startRedisCluster}. */
export interface RedisClusterOptions {
  /** Use this instead of `process.env.REDIS_CLUSTER_URLS` (`host:port,host:port,...`). */
  env?: string | undefined;
  /** Number of primaries (at least 3; default 3). */
  primaries?: number;
  /** Replicas per primary (default 1). */
  replicasPerPrimary?: number;
  /** `--cluster-node-timeout` in ms (default 2000). Failover takes a little more than this. */
  nodeTimeout?: number;
  /** Extra `redis-server` arguments for every node. */
  extraArgs?: string[];
  /** How long to wait for the cluster to become ready (default 30 s). */
  startTimeoutMs?: number;
}
