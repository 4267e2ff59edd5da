/**
 * Failover and slot migration on a cluster this process started: SIGKILLing the primary of a
 * slot, waiting for a replica to take over, restarting a killed node, and moving a slot (with its
 * keys) to another primary.
 *
 * @module
 */
import { killNode, type OwnedNode, spawnNode, waitForPing } from "./nodes.ts";
import { HOST, nodeCommand, ReplyError, text } from "./resp.ts";
import { owner, parseClusterNodes, slotOf, unhealthy, viewOf } from "./topology.ts";
import type { ClusterNode, Failover, KilledPrimary, RedisCluster } from "./types.ts";
import { pollUntil, Waiting } from "./wait.ts";

/** What failover and slot migration need from a cluster this process started. */
export interface OwnedCluster {
  /** The cluster's temporary directory (a node's files are in `root/port`). */
  readonly root: string;
  /** `--cluster-node-timeout` in ms. */
  readonly nodeTimeout: number;
  /** Extra `redis-server` arguments for every node. */
  readonly extraArgs: string[];
  /** How many nodes the cluster has. */
  readonly total: number;
  /** Every node this process started, by port (killed ones included). */
  readonly owned: Map<number, OwnedNode>;
  /** Records a node just spawned (and hands its pid to the watchdog). */
  adopt(node: OwnedNode): void;
  /** The nodes whose process has not exited. */
  liveNodes(): OwnedNode[];
  /** The cluster as a live node sees it now. */
  topology(): Promise<ClusterNode[]>;
}

/** The {@linkcode RedisCluster} methods that kill, restart and move things in `cluster`. */
export function ownedClusterActions(
  cluster: OwnedCluster,
): Pick<RedisCluster, "killPrimaryOf" | "waitForFailover" | "restartNode" | "migrateSlot"> {
  const { root, nodeTimeout, extraArgs, total, owned, adopt, liveNodes, topology } = cluster;
  const killed: KilledPrimary[] = [];

  const killPrimaryOf = async (keyOrSlot: string | number): Promise<KilledPrimary> => {
    const slot = slotOf(keyOrSlot);
    const before = await topology();
    const node = owner(before, slot);
    if (!node) throw new Error(`No live primary serves slot ${slot}`);
    const victim = owned.get(node.port);
    if (!victim) throw new Error(`${node.host}:${node.port} was not started by this process`);
    await killNode(victim, "SIGKILL", 5000);
    const result: KilledPrimary = {
      node,
      slot,
      replicas: before.filter((n) => n.primaryId === node.id),
      killedAt: performance.now(),
    };
    killed.push(result);
    return result;
  };

  const waitForFailover = async (
    which?: KilledPrimary,
    opts: { timeoutMs?: number } = {},
  ): Promise<Failover> => {
    const kill = which ?? killed.at(-1);
    if (!kill) throw new Error("waitForFailover: no primary was killed");
    const candidates = new Set(kill.replicas.map((n) => n.id));
    return await pollUntil("Failover", opts.timeoutMs ?? nodeTimeout * 5 + 10_000, async () => {
      const live = liveNodes();
      const views = await Promise.all(live.map((node) => viewOf(HOST, node.port)));
      let agreed: ClusterNode | undefined;
      for (const view of views) {
        if (view.state !== "ok") return new Waiting(`${view.port}: cluster_state:${view.state}`);
        const serving = owner(view.nodes, kill.slot);
        if (!serving || !candidates.has(serving.id)) {
          return new Waiting(`${view.port}: slot ${kill.slot} not yet on a replica`);
        }
        if (agreed && agreed.id !== serving.id) return new Waiting("nodes disagree");
        agreed = serving;
      }
      if (!agreed) return new Waiting("no live node");
      return { newPrimary: agreed, ms: performance.now() - kill.killedAt };
    });
  };

  const restartNode = async (
    port: number,
    opts: { timeoutMs?: number } = {},
  ): Promise<ClusterNode> => {
    const old = owned.get(port);
    if (!old) throw new Error(`${HOST}:${port} was not started by this process`);
    if (!old.exited) throw new Error(`${HOST}:${port} is still running`);
    const node = spawnNode(root, port, nodeTimeout, extraArgs);
    adopt(node);
    await waitForPing(node, 5000);
    return await pollUntil(
      `Node ${port} rejoining`,
      opts.timeoutMs ?? nodeTimeout * 5 + 10_000,
      async () => {
        const views = await Promise.all(liveNodes().map((n) => viewOf(HOST, n.port)));
        const why = unhealthy(views, total);
        if (why) return new Waiting(why);
        const self = views[0].nodes.find((n) => n.port === port);
        return self ?? new Waiting(`${port} not listed`);
      },
    );
  };

  const migrateSlot = async (keyOrSlot: string | number, toPort: number) => {
    const slot = slotOf(keyOrSlot);
    const nodes = await topology();
    const from = owner(nodes, slot);
    const to = nodes.find((n) => n.port === toPort && n.role === "primary" && !n.failed);
    if (!from) throw new Error(`No live primary serves slot ${slot}`);
    if (!to) throw new Error(`${HOST}:${toPort} is not a live primary`);
    if (from.id === to.id) return { from, to };
    const run = async (node: ClusterNode, args: string[]) => {
      const reply = await nodeCommand(node.host, node.port, args, 10_000);
      if (reply instanceof ReplyError) throw new Error(`${args.join(" ")}: ${reply.message}`);
      return reply;
    };
    const s = String(slot);
    await run(to, ["CLUSTER", "SETSLOT", s, "IMPORTING", from.id]);
    await run(from, ["CLUSTER", "SETSLOT", s, "MIGRATING", to.id]);
    for (;;) {
      const keys = await run(from, ["CLUSTER", "GETKEYSINSLOT", s, "100"]) as string[];
      if (keys.length === 0) break;
      await run(from, ["MIGRATE", to.host, String(to.port), "", "0", "5000", "KEYS", ...keys]);
    }
    // The new owner first, then the old one, then everyone else (as redis-cli does).
    const primaries = nodes.filter((n) => n.role === "primary" && !n.failed);
    for (
      const node of [
        to,
        from,
        ...primaries.filter((n) => n.id !== to.id && n.id !== from.id),
      ]
    ) {
      await run(node, ["CLUSTER", "SETSLOT", s, "NODE", to.id]);
    }
    await pollUntil(`Slot ${slot} moving`, 10_000, async () => {
      for (const node of liveNodes()) {
        const seen = owner(
          parseClusterNodes(await text(HOST, node.port, ["CLUSTER", "NODES"])),
          slot,
        );
        if (seen?.id !== to.id) return new Waiting(`${node.port} does not see the move yet`);
      }
      return true;
    });
    const after = await topology();
    return { from, to: after.find((n) => n.id === to.id) ?? to };
  };

  return { killPrimaryOf, waitForFailover, restartNode, migrateSlot };
}
