/**
 * What the fault and property suites share: a redis-server that a test may kill and start again
 * on the same port, a snapshot of everything under a namespace, and the invariants the adapter
 * promises, checked against what is really in Redis.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import assert from "node:assert/strict";
import { freePort, privateServerArgs, waitUntilUp } from "../../scripts/redis/server.ts";
import { type Admin, keysUnder } from "../helpers/harness.ts";

/** How long a redis-server may take to answer after it is spawned, on a loaded machine. */
export const SERVER_UP_MS = 5_000;
/** Spawns tried when starting a server again (the port may still be held for a moment). */
export const START_ATTEMPTS = 5;
/** The pause between two of those spawns. */
export const START_RETRY_MS = 200;
/** The longest {@linkcode KillableServer.start} can take. */
export const START_BUDGET_MS = START_ATTEMPTS * (SERVER_UP_MS + START_RETRY_MS);

/** A private redis-server that can be killed and started again on its port. */
export interface KillableServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Kills the server at once (SIGKILL): no shutdown, connections drop. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: persistence is off), within START_BUDGET_MS. */
  start(): Promise<void>;
  /**
   * Freezes the server (SIGSTOP): connections stay open and commands are accepted, but nothing
   * is answered until {@linkcode KillableServer.resume}, as with a client stuck on a dead
   * connection.
   */
  freeze(): void;
  /** Lets a frozen server go on (SIGCONT): it then runs what it was sent meanwhile. */
  resume(): void;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/** Starts a private redis-server for a fault test. Never uses REDIS_URL: it will be killed. */
export async function startKillableServer(extraArgs: string[] = []): Promise<KillableServer> {
  const host = "127.0.0.1";
  const port = await freePort();
  let child: ChildProcess | undefined;
  const exited = new WeakSet<ChildProcess>();
  let frozen = false;
  /**
   * SIGSTOP and SIGCONT go by pid (process.kill): Deno's ChildProcess.kill() sends a signal
   * only the first time it is called, and the last one must be free for ending the process.
   */
  const signalServer = (signal: "SIGSTOP" | "SIGCONT") => {
    const proc = child;
    if (proc?.pid === undefined || exited.has(proc)) return;
    process.kill(proc.pid, signal);
    frozen = signal === "SIGSTOP";
  };
  const spawnOnce = async () => {
    const proc = spawn("redis-server", [...privateServerArgs(host, port), ...extraArgs], {
      stdio: "ignore",
    });
    proc.on("exit", () => exited.add(proc));
    child = proc;
    frozen = false;
    await waitUntilUp(host, port, Date.now() + SERVER_UP_MS);
  };
  // The port may still be held for a moment after a kill: try again.
  const start = async () => {
    for (let attempt = 1;; attempt++) {
      try {
        return await spawnOnce();
      } catch (error) {
        await end("SIGKILL");
        if (attempt === START_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, START_RETRY_MS));
      }
    }
  };
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const proc = child;
      if (proc === undefined || exited.has(proc)) return resolve();
      proc.once("exit", () => resolve());
      if (frozen) signalServer("SIGCONT"); // A frozen server would not act on SIGTERM.
      // The process's one ChildProcess.kill(): on Deno, later calls send nothing.
      proc.kill(signal);
    });
  await start();
  return {
    url: `redis://${host}:${port}`,
    host,
    port,
    kill: () => end("SIGKILL"),
    start,
    freeze: () => signalServer("SIGSTOP"),
    resume: () => signalServer("SIGCONT"),
    stop: () => end("SIGTERM"),
  };
}

/** How often {@linkcode waitUntil} looks again. */
export const POLL_MS = 20;

/**
 * Waits until `condition()` holds, looking every POLL_MS; fails naming `what` once `budgetMs`
 * has passed (each caller derives its budget from what it waits for).
 */
export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  budgetMs: number,
  what: string,
): Promise<void> {
  const until = performance.now() + budgetMs;
  while (!(await condition())) {
    if (performance.now() > until) throw new Error(`${what}: not after ${budgetMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** One key as found in Redis: its type, its value in a comparable form, and its expiry. */
export interface KeyState {
  type: string;
  value: unknown;
  /** PEXPIRETIME: -1 for none. */
  expireAt: number;
}

/** Everything under `root`, to compare before and after an operation that must change nothing. */
export async function snapshot(admin: Admin, root: string): Promise<Map<string, KeyState>> {
  const out = new Map<string, KeyState>();
  for (const key of await keysUnder(admin, root)) {
    const type = String(await admin.type(key));
    let value: unknown;
    if (type === "string") value = await admin.get(key);
    else if (type === "zset") value = await admin.zRangeWithScores(key, 0, -1);
    else if (type === "list") value = await admin.lRange(key, 0, -1);
    else if (type === "set") value = (await admin.sMembers(key)).sort();
    else if (type === "hash") value = await admin.hGetAll(key);
    const expireAt = Number(await admin.sendCommand(["PEXPIRETIME", key]));
    out.set(key, { type, value, expireAt });
  }
  return out;
}

/** Runs `work` and asserts that nothing under `root` changed. */
export async function changesNothing(
  admin: Admin,
  root: string,
  work: () => Promise<unknown>,
): Promise<void> {
  const before = await snapshot(admin, root);
  await work();
  assert.deepEqual(await snapshot(admin, root), before, "nothing under the namespace may change");
}

/** A session as the invariants see it. */
interface Found {
  key: string;
  id: string;
  userId: string;
  idle: number;
  expireAt: number;
}

/**
 * Checks, against what is in Redis under the namespaces, the invariants the README promises:
 * - every key the adapter wrote has an expiry (nothing lives forever);
 * - a session key expires at its idle expiry;
 * - every live session is in its owner's index (so signing the owner out finds it), and that
 *   index expires no earlier than the session.
 * Returns the live sessions found, by id.
 */
export async function checkInvariants(
  admin: Admin,
  ns: { root: string; session: string; userSession: string },
): Promise<Map<string, Found>> {
  const sessionPrefix = `${ns.session}:`;
  const indexPrefix = `${ns.userSession}:`;
  const live = new Map<string, Found>();
  for (const key of await keysUnder(admin, ns.root)) {
    const expireAt = Number(await admin.sendCommand(["PEXPIRETIME", key]));
    if (expireAt === -2) continue; // Expired between the scan and now.
    assert.notEqual(expireAt, -1, `${key} has no expiry`);
    if (!key.startsWith(sessionPrefix)) continue;
    const value = await admin.get(key);
    if (value === null || value === "") continue;
    const session = JSON.parse(value);
    const id = key.slice(sessionPrefix.length);
    assert.equal(session.id, id, `${key} holds the session of another id`);
    assert.equal(expireAt, Math.ceil(session.idle_expires), `${key} expires at its idle expiry`);
    live.set(id, { key, id, userId: session.user_id, idle: session.idle_expires, expireAt });
  }
  for (const found of live.values()) {
    const index = indexPrefix + found.userId;
    const score = await admin.zScore(index, found.id);
    assert.notEqual(score, null, `live session ${found.id} is not in ${index}`);
    const indexExpireAt = Number(await admin.sendCommand(["PEXPIRETIME", index]));
    assert.ok(
      indexExpireAt >= found.expireAt,
      `${index} expires at ${indexExpireAt}, before its session ${found.id} (${found.expireAt})`,
    );
  }
  return live;
}
