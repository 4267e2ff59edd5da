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
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keySlot, SLOTS } from "./key_slot.ts";

export { crc16, keySlot, SLOTS } from "./key_slot.ts";

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

const HOW_TO_GET_ONE = "Install redis-server and redis-cli (Debian/Ubuntu: `apt-get install " +
  "redis-server`; macOS: `brew install redis`) so they are on PATH, or set REDIS_CLUSTER_URLS " +
  "to `host:port,host:port` of a Redis Cluster (>= 6.2) that may be written to.";

const HOST = "127.0.0.1";
const BUS_OFFSET = 10000;

// ---------------------------------------------------------------------------------------------
// A minimal RESP client: one command per fresh socket, good enough for polling and inspection.

/** An error reply (`-ERR ...`) from Redis. */
export class ReplyError extends Error {
  override name = "ReplyError";
}

/** A decoded RESP2 reply. */
export type Reply = string | number | null | ReplyError | Reply[];

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function lineEndAt(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}

function parseReply(buf: Uint8Array, at: number): [Reply, number] | undefined {
  const lineEnd = lineEndAt(buf, at);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[at]);
  const line = decoder.decode(buf.subarray(at + 1, lineEnd));
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return [line, next];
    case "-":
      return [new ReplyError(line), next];
    case ":":
      return [Number(line), next];
    case "$": {
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buf.length < next + length + 2) return undefined;
      return [decoder.decode(buf.subarray(next, next + length)), next + length + 2];
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: Reply[] = [];
      let offset = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, offset);
        if (!item) return undefined;
        items.push(item[0]);
        offset = item[1];
      }
      return [items, offset];
    }
    default:
      throw new Error(`Unexpected RESP type ${JSON.stringify(type)}`);
  }
}

/**
 * Sends one command (as a RESP array of bulk strings) to `host:port` over a fresh socket and
 * returns the decoded reply; an error reply is returned (not thrown) as a {@linkcode ReplyError}.
 * Rejects when the node cannot be reached or does not answer within `timeoutMs`.
 */
export function nodeCommand(
  host: string,
  port: number,
  args: readonly string[],
  timeoutMs = 2000,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buf = new Uint8Array(0);
    const finish = (error: Error | undefined, reply?: Reply) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply as Reply);
    };
    const timer = setTimeout(
      () => finish(new Error(`${host}:${port} did not answer ${args[0]} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("error", (error) => finish(error));
    socket.on("data", (chunk: Uint8Array) => {
      const merged = new Uint8Array(buf.length + chunk.length);
      merged.set(buf);
      merged.set(chunk, buf.length);
      buf = merged;
      try {
        const parsed = parseReply(buf, 0);
        if (parsed) finish(undefined, parsed[0]);
      } catch (error) {
        finish(error as Error);
      }
    });
    let payload = `*${args.length}\r\n`;
    for (const arg of args) payload += `$${encoder.encode(arg).length}\r\n${arg}\r\n`;
    socket.connect(port, host, () => socket.write(payload));
  });
}

async function text(host: string, port: number, args: string[]): Promise<string> {
  const reply = await nodeCommand(host, port, args);
  if (reply instanceof ReplyError) throw reply;
  if (typeof reply !== "string") throw new Error(`${args[0]}: unexpected reply ${String(reply)}`);
  return reply;
}

// ---------------------------------------------------------------------------------------------
// Reading the cluster's state.

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

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*?)\\r?$`, "m").exec(info)?.[1];
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

function owner(nodes: ClusterNode[], slot: number): ClusterNode | undefined {
  return nodes.find((node) =>
    node.role === "primary" && !node.failed &&
    node.slots.some(([first, last]) => slot >= first && slot <= last)
  );
}

interface NodeView {
  port: number;
  state: string;
  knownNodes: number;
  nodes: ClusterNode[];
  linkUp: boolean;
}

async function viewOf(host: string, port: number): Promise<NodeView> {
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
function unhealthy(views: NodeView[], expectedNodes: number): string | undefined {
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a probe of {@linkcode pollUntil} returns while the condition does not hold yet. */
class Waiting {
  constructor(readonly why: string) {}
}

async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | Waiting>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last = "no answer yet";
  while (performance.now() < deadline) {
    try {
      const result = await probe();
      if (!(result instanceof Waiting)) return result;
      last = result.why;
    } catch (error) {
      last = String(error);
    }
    await sleep(50);
  }
  throw new Error(`${what}: not done after ${timeoutMs} ms (last: ${last})`);
}

// ---------------------------------------------------------------------------------------------
// Processes.

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A free port whose cluster bus port (port + 10000) is free as well. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await osFreePort();
    if (port + BUS_OFFSET > 65535 || taken.has(port) || taken.has(port + BUS_OFFSET)) continue;
    if (await portFree(port + BUS_OFFSET)) {
      taken.add(port);
      taken.add(port + BUS_OFFSET);
      return port;
    }
  }
  throw new Error("Could not find free loopback ports for a Redis Cluster node");
}

function onPath(command: string): boolean {
  const probe = spawnSync(command, ["--version"], { encoding: "utf8" });
  return !probe.error && probe.status === 0;
}

interface OwnedNode {
  port: number;
  dir: string;
  child: ChildProcess;
  exited: boolean;
  exit: Promise<void>;
}

/**
 * The watchdog: `sh` in its own process group reads pids from a pipe; at end of input (the
 * caller died or stop() is finishing), it SIGKILLs them all and removes the directory.
 */
function startWatchdog(dir: string): ChildProcess {
  const script = 'trap "" INT TERM HUP; pids=""; ' +
    'while read -r pid; do pids="$pids $pid"; done; ' +
    '[ -n "$pids" ] && kill -9 $pids 2>/dev/null; rm -rf -- "$1"';
  const watchdog = spawn("sh", ["-c", script, "redis-cluster-watchdog", dir], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  watchdog.unref();
  // The pipe must not keep the caller's event loop alive.
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, "redis.log"), "utf8").trim().split("\n").slice(-5).join("\n");
  } catch {
    return "(no log)";
  }
}

function spawnNode(
  root: string,
  port: number,
  nodeTimeout: number,
  extraArgs: string[],
): OwnedNode {
  const dir = join(root, String(port));
  mkdirSync(dir, { recursive: true });
  const child = spawn("redis-server", [
    "--port",
    String(port),
    "--bind",
    HOST,
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    join(dir, "nodes.conf"),
    "--cluster-node-timeout",
    String(nodeTimeout),
    "--dir",
    dir,
    "--logfile",
    join(dir, "redis.log"),
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
    "--protected-mode",
    "yes",
    // A replica's first sync otherwise waits 5 s for more replicas to share a diskless transfer.
    "--repl-diskless-sync-delay",
    "0",
    ...extraArgs,
  ], { stdio: "ignore" });
  const node: OwnedNode = {
    port,
    dir,
    child,
    exited: false,
    exit: Promise.resolve(),
  };
  node.exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      node.exited = true;
      resolve();
    });
    child.once("error", () => {
      node.exited = true;
      resolve();
    });
  });
  child.unref();
  return node;
}

async function waitForPing(node: OwnedNode, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown = "no answer";
  while (performance.now() < deadline && !node.exited) {
    try {
      const info = await text(HOST, node.port, ["INFO", "server"]);
      return infoField(info, "redis_version") ?? "unknown";
    } catch (error) {
      last = error;
    }
    await sleep(20);
  }
  throw new Error(
    `redis-server on ${HOST}:${node.port} did not come up (${
      node.exited ? "it exited" : String(last)
    }): ${logTail(node.dir)}`,
  );
}

async function killNode(
  node: OwnedNode,
  signal: "SIGTERM" | "SIGKILL",
  graceMs: number,
): Promise<void> {
  if (node.exited) return;
  node.child.ref();
  node.child.kill(signal);
  const timedOut = await Promise.race([
    node.exit.then(() => false),
    sleep(graceMs).then(() => true),
  ]);
  if (timedOut && !node.exited) {
    node.child.kill("SIGKILL");
    await node.exit;
  }
  node.child.unref();
}

function runRedisCli(args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("redis-cli", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk) => output += chunk);
    child.stderr?.on("data", (chunk) => output += chunk);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: 127, output: String(error) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The cluster.

function parseUrls(list: string): { host: string; port: number }[] {
  return list.split(",").map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const url = new URL(entry.includes("://") ? entry : `redis://${entry}`);
    return { host: url.hostname || HOST, port: Number(url.port || 6379) };
  });
}

function slotOf(keyOrSlot: string | number): number {
  if (typeof keyOrSlot === "number") {
    if (!Number.isInteger(keyOrSlot) || keyOrSlot < 0 || keyOrSlot >= SLOTS) {
      throw new RangeError(`Not a hash slot: ${keyOrSlot}`);
    }
    return keyOrSlot;
  }
  return keySlot(keyOrSlot);
}

function accessors(
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

async function externalCluster(list: string): Promise<RedisCluster> {
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
  const killed: KilledPrimary[] = [];

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

    return {
      owned: true,
      version,
      nodeTimeout,
      nodes: views[0].nodes.sort((a, b) => a.port - b.port),
      dir: root,
      ...described,
      killPrimaryOf,
      waitForFailover,
      restartNode,
      migrateSlot,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Run as a program (`deno run -A scripts/redis_cluster.ts` or `bun scripts/redis_cluster.ts`):
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
  const keepAlive = setInterval(() => {}, 1 << 30);
  const shutdown = async () => {
    clearInterval(keepAlive);
    await cluster.stop();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

if ((import.meta as ImportMeta & { main?: boolean }).main) await main();
