/**
 * Reading the cluster's state: parsing `CLUSTER NODES`, who serves a slot, each node's view of
 * the cluster and whether those views make one healthy cluster, and the read-only accessors
 * every cluster (owned or external) offers.
 *
 * @module
 */
import { keySlot, SLOTS } from "../../../src/clients/key_slot.ts";
import { HOST, infoField, text } from "./resp.ts";
import type { ClusterNode } from "./types.ts";

/** Parses `CLUSTER NODES` output. */
export function parseClusterNodes(output: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const line of output.split("\n")) {
    const fields = line.trim().split(" ");
    if (fields.length < 8) continue;
    const [id, address, flags, primary, , , , , ...slotFields] = fields;
    // ip:port@cport[,hostname]
    const m = /^(.*):(\d+)@\d+/.exec(address);
    if (!m) continue;
    const flagSet = new Set(flags.split(","));
    const slots: [number, number][] = [];
    for (const field of slotFields) {
      if (field.startsWith("[")) continue; // a slot being imported or migrated
      const [first, last] = field.split("-").map(Number);
      slots.push([first, last ?? first]);
    }
    slots.sort((a, b) => a[0] - b[0]);
    nodes.push({
      id,
      host: m[1] || HOST,
      port: Number(m[2]),
      role: flagSet.has("slave") ? "replica" : "primary",
      primaryId: primary === "-" ? undefined : primary,
      slots,
      failed: flagSet.has("fail") || flagSet.has("noaddr"),
    });
  }
  return nodes;
}

/** `slot range -> primary id` as one node sees it, to compare nodes' views. */
function slotMapSignature(nodes: ClusterNode[]): string {
  const ranges: string[] = [];
  for (const node of nodes) {
    if (node.role !== "primary") continue;
    for (const [first, last] of node.slots) ranges.push(`${first}-${last}:${node.id}`);
  }
  return ranges.sort((a, b) => parseInt(a) - parseInt(b)).join(" ");
}

function covered(nodes: ClusterNode[]): number {
  let count = 0;
  for (const node of nodes) {
    if (node.role !== "primary" || node.failed) continue;
    for (const [first, last] of node.slots) count += last - first + 1;
  }
  return count;
}

/** The live primary serving `slot` in `nodes`, if any. */
export function owner(nodes: ClusterNode[], slot: number): ClusterNode | undefined {
  return nodes.find((node) =>
    node.role === "primary" && !node.failed &&
    node.slots.some(([first, last]) => slot >= first && slot <= last)
  );
}

/** One node's view of the cluster. */
export interface NodeView {
  port: number;
  state: string;
  knownNodes: number;
  nodes: ClusterNode[];
  linkUp: boolean;
}

/** Asks the node on `host:port` how it sees the cluster. */
export async function viewOf(host: string, port: number): Promise<NodeView> {
  const [info, nodesText, replication] = await Promise.all([
    text(host, port, ["CLUSTER", "INFO"]),
    text(host, port, ["CLUSTER", "NODES"]),
    text(host, port, ["INFO", "replication"]),
  ]);
  const role = infoField(replication, "role");
  return {
    port,
    state: infoField(info, "cluster_state") ?? "",
    knownNodes: Number(infoField(info, "cluster_known_nodes") ?? 0),
    nodes: parseClusterNodes(nodesText),
    linkUp: role !== "slave" || infoField(replication, "master_link_status") === "up",
  };
}

/** Why a set of node views is not (yet) one healthy cluster, or undefined when it is. */
export function unhealthy(views: NodeView[], expectedNodes: number): string | undefined {
  const signature = slotMapSignature(views[0].nodes);
  for (const view of views) {
    if (view.state !== "ok") return `${view.port}: cluster_state:${view.state}`;
    if (view.knownNodes !== expectedNodes) {
      return `${view.port}: knows ${view.knownNodes} of ${expectedNodes} nodes`;
    }
    if (covered(view.nodes) !== SLOTS) return `${view.port}: sees ${covered(view.nodes)} slots`;
    if (slotMapSignature(view.nodes) !== signature) return `${view.port}: another slot map`;
    if (!view.linkUp) return `${view.port}: replication link not up yet`;
    const self = view.nodes.find((node) => node.port === view.port);
    for (const other of views) {
      const seen = view.nodes.find((node) => node.port === other.port);
      const itself = other.nodes.find((node) => node.port === other.port);
      if (!seen || !itself || seen.failed || seen.role !== itself.role) {
        return `${view.port}: does not yet see ${other.port} as it is`;
      }
    }
    if (!self) return `${view.port}: does not list itself`;
  }
  return undefined;
}

/** The hash slot of a key, or a slot number checked to be one. */
export function slotOf(keyOrSlot: string | number): number {
  if (typeof keyOrSlot === "number") {
    if (!Number.isInteger(keyOrSlot) || keyOrSlot < 0 || keyOrSlot >= SLOTS) {
      throw new RangeError(`Not a hash slot: ${keyOrSlot}`);
    }
    return keyOrSlot;
  }
  return keySlot(keyOrSlot);
}

/**
 * The addresses and read-only queries of a cluster, from its endpoints and a way to read its
 * topology.
 */
export function accessors(
  endpoints: { host: string; port: number }[],
  topologyFrom: () => Promise<ClusterNode[]>,
) {
  const topology = topologyFrom;
  const primaries = async () =>
    (await topology())
      .filter((node) => node.role === "primary" && !node.failed && node.slots.length > 0)
      .sort((a, b) => a.slots[0][0] - b.slots[0][0]);
  const primaryOf = async (keyOrSlot: string | number) => {
    const slot = slotOf(keyOrSlot);
    const found = owner(await topology(), slot);
    if (!found) throw new Error(`No live primary serves slot ${slot}`);
    return found;
  };
  return {
    urls: endpoints.map(({ host, port }) => `redis://${host}:${port}`),
    rootNodes: endpoints.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    startupNodes: endpoints.map(({ host, port }) => ({ host, port })),
    topology,
    primaries,
    primaryOf,
  };
}
