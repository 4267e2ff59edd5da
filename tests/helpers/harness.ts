/**
 * Test harness: a real Redis per test file, an inspection client, fresh namespaces per test, and
 * a MONITOR tap that counts the commands a piece of code sends.
 *
 * @module
 */
import { after, before } from "node:test";
import { Socket } from "node:net";
import { createClient } from "redis4";
import { type RedisServer, startRedisServer } from "../../scripts/redis/server.ts";

export type { RedisServer };

/** A node-redis 4 client used by tests to look at and seed Redis directly. */
export type Admin = ReturnType<typeof createClient>;

/** What a test file gets from {@linkcode useRedis}. */
export interface TestRedis {
  server: RedisServer;
  admin: Admin;
  /** Run (in order) after the file's tests, before the server stops: close clients here. */
  cleanups: (() => Promise<void>)[];
}

/**
 * Starts a private redis-server (or uses REDIS_URL) before the file's tests and stops it after.
 * Returns an object whose fields are set once `before` has run.
 */
export function useRedis(): TestRedis {
  const ctx = { cleanups: [] as TestRedis["cleanups"] } as TestRedis;
  before(async () => {
    ctx.server = await startRedisServer();
    ctx.admin = createClient({ url: ctx.server.url });
    await ctx.admin.connect();
  });
  after(async () => {
    for (const cleanup of ctx.cleanups) await cleanup();
    await ctx.admin?.quit();
    await ctx.server?.stop();
  });
  return ctx;
}

let counter = 0;

/**
 * Namespaces no other test uses: tests never touch each other's keys, so they also run safely
 * against a shared REDIS_URL (which is never flushed).
 */
export function freshNamespaces(): { session: string; userSession: string; root: string } {
  const root = `t${Date.now().toString(36)}${(counter++).toString(36)}${
    Math.random().toString(36).slice(2, 8)
  }`;
  return { root, session: `${root}:s`, userSession: `${root}:u` };
}

/** All keys under a test's root namespace (SCAN is fine in tests; never on a request path). */
export async function keysUnder(admin: Admin, root: string): Promise<string[]> {
  const cluster = admin as Admin & { scanKeys?: (pattern: string) => Promise<string[]> };
  if (cluster.scanKeys) return (await cluster.scanKeys(`${root}:*`)).sort();
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await admin.sendCommand([
      "SCAN",
      cursor,
      "MATCH",
      `${root}:*`,
      "COUNT",
      "1000",
    ]) as [string, string[]];
    cursor = next;
    found.push(...batch);
  } while (cursor !== "0");
  return found.sort();
}

/**
 * The keys under a test's root namespace but tombstones (an empty string: what the cluster path
 * leaves under a signed-out session's key until it expires).
 */
export async function liveKeysUnder(admin: Admin, root: string): Promise<string[]> {
  const keys = await keysUnder(admin, root);
  const values = await Promise.all(
    keys.map(async (key) => (await admin.type(key)) === "string" ? await admin.get(key) : key),
  );
  return keys.filter((_, i) => values[i] !== "");
}

/** One command seen by MONITOR. */
export interface SeenCommand {
  /** True when a Lua script issued it (inside an EVAL/EVALSHA). */
  fromScript: boolean;
  /** The command name, upper-cased. */
  name: string;
  /** When the server ran it (its clock, in seconds), to order what several servers saw. */
  at: number;
}

function parseMonitorLine(line: string): SeenCommand | null {
  const m = /^\+(\d+\.\d+) \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
  if (!m) return null;
  return { fromScript: m[2] === "lua", name: m[3].toUpperCase(), at: Number(m[1]) };
}

/** Where a redis-server listens. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Runs `fn` while a MONITOR connection to each server records every command it executes, and
 * returns what they saw (commands from the harness itself are excluded by a marker).
 */
export async function recordCommands(
  at: Endpoint | readonly Endpoint[],
  fn: () => Promise<unknown>,
): Promise<SeenCommand[]> {
  const servers = "host" in at ? [at as Endpoint] : at as readonly Endpoint[];
  if (servers.length === 1) return await recordOne(servers[0], fn);
  // Several servers: nest the recordings, so that each sees the whole of `fn`.
  let inner: SeenCommand[] = [];
  const outer = await recordOne(servers[0], async () => {
    inner = await recordCommands(servers.slice(1), fn);
  });
  return [...outer, ...inner].sort((a, b) => a.at - b.at);
}

async function recordOne(
  server: Endpoint,
  fn: () => Promise<unknown>,
): Promise<SeenCommand[]> {
  const socket = new Socket();
  let buffer = "";
  const lines: string[] = [];
  let onLine: (() => void) | undefined;
  socket.on("data", (chunk) => {
    buffer += chunk.toString("utf8");
    let i;
    while ((i = buffer.indexOf("\r\n")) >= 0) {
      lines.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 2);
      onLine?.();
    }
  });
  const waitFor = (pred: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("MONITOR did not deliver in time")), 5000);
      onLine = () => {
        if (pred()) {
          clearTimeout(timer);
          onLine = undefined;
          resolve();
        }
      };
      onLine();
    });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.connect(server.port, server.host, () => resolve());
  });
  socket.write("MONITOR\r\n");
  await waitFor(() => lines.includes("+OK"));
  const marker = `harness-marker-${Math.random().toString(36).slice(2)}`;
  const ping = new Socket();
  const sendMarker = () =>
    new Promise<void>((resolve, reject) => {
      ping.once("error", reject);
      ping.connect(server.port, server.host, () => {
        ping.write(`ECHO ${marker}\r\n`);
        ping.once("data", () => resolve());
      });
    });
  try {
    const start = lines.length;
    await fn();
    await sendMarker();
    await waitFor(() => lines.slice(start).some((l) => l.includes(marker)));
    const end = lines.findIndex((l, idx) => idx >= start && l.includes(marker));
    return lines.slice(start, end).map(parseMonitorLine).filter((c): c is SeenCommand =>
      c !== null
    );
  } finally {
    ping.destroy();
    socket.destroy();
  }
}

/** The commands a client sent (not counting those its scripts ran). */
export function clientCommands(seen: SeenCommand[]): string[] {
  return seen.filter((c) => !c.fromScript).map((c) => c.name);
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An hour in milliseconds. */
export const HOUR = 60 * 60 * 1000;

/**
 * A session of `userId` whose idle expiry is `idleInMs` from now and whose active expiry is half
 * as far, with `extra` fields (Lucia v2's session attributes) beside the four.
 */
export function session<Extra extends object = Record<never, never>>(
  id: string,
  userId: string,
  idleInMs = HOUR,
  extra?: Extra,
): { id: string; user_id: string; active_expires: number; idle_expires: number } & Extra {
  const now = Date.now();
  return {
    id,
    user_id: userId,
    active_expires: now + idleInMs / 2,
    idle_expires: now + idleInMs,
    ...extra,
  } as { id: string; user_id: string; active_expires: number; idle_expires: number } & Extra;
}
