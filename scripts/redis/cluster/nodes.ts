/**
 * The processes of an owned cluster: free ports, spawning and stopping `redis-server` nodes,
 * `redis-cli`, and the watchdog that kills the nodes if the caller dies without stopping them.
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { HOST, infoField, text } from "./resp.ts";
import { sleep } from "./wait.ts";

const BUS_OFFSET = 10000;

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
export async function freeClusterPort(taken: Set<number>): Promise<number> {
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

/** True when `command --version` runs and succeeds. */
export function onPath(command: string): boolean {
  const probe = spawnSync(command, ["--version"], { encoding: "utf8" });
  return !probe.error && probe.status === 0;
}

/** A `redis-server` this process spawned. */
export interface OwnedNode {
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
export function startWatchdog(dir: string): ChildProcess {
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

/** Spawns one cluster-enabled `redis-server` on `port`, its files in `root/port`. */
export function spawnNode(
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

/** Waits until the node answers `INFO server` and returns its Redis version. */
export async function waitForPing(node: OwnedNode, timeoutMs: number): Promise<string> {
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

/** Sends `signal`, then SIGKILL if the node has not exited within `graceMs`. */
export async function killNode(
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

/** Runs `redis-cli` with `args` and returns its exit code and combined output. */
export function runRedisCli(
  args: string[],
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
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
