/**
 * What the `cache` option's tests (tests/cache.test.ts) and benchmark (research/cache.ts) share:
 * the clients it supports, how to tell from the server whether a read reached it, how to find
 * and kill the tracking connections, and polling with a budget derived from counts.
 *
 * @module
 */
import { createServer, type Server, Socket } from "node:net";
import type { createClient } from "redis4";
import { type ClientSetup, setupNamed } from "./setups.ts";

/** An inspection client (node-redis 4). */
export type Admin = ReturnType<typeof createClient>;

/** The client setups the cache supports, by their names in tests/helpers/setups.ts. */
export const CACHED_SETUPS: ClientSetup[] = [
  setupNamed("node-redis 4"),
  setupNamed("node-redis 5"),
  setupNamed("node-redis 6 (RESP3, its default)"),
  setupNamed("node-redis 4 with legacyMode: true (the adapter uses client.v4)"),
  setupNamed("ioredis 5"),
  setupNamed("ioredis 6"),
  setupNamed("ioredis 5 with keyPrefix"),
];

/** The setups the main scenarios run over (the others run the revocation check only). */
export const MAIN_SETUPS: ClientSetup[] = [setupNamed("node-redis 5"), setupNamed("ioredis 5")];

/** How many commands of `name` (lower case: `get`) the server has run since it started. */
export async function commandCalls(admin: Admin, name: string): Promise<number> {
  const info = await admin.sendCommand(["INFO", "commandstats"]) as string;
  const match = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, "m").exec(info);
  return match === null ? 0 : Number(match[1]);
}

/** One line of `CLIENT LIST`, as fields. */
export type ClientInfo = Record<string, string>;

/** The server's connections, from `CLIENT LIST`. */
export async function clientList(admin: Admin): Promise<ClientInfo[]> {
  const text = await admin.sendCommand(["CLIENT", "LIST"]) as string;
  return text.trim().split("\n").filter((line) => line !== "").map((line) =>
    Object.fromEntries(
      line.trim().split(" ").map((field) => {
        const at = field.indexOf("=");
        return [field.slice(0, at), field.slice(at + 1)];
      }),
    )
  );
}

/** The connections with client tracking on (the caches' invalidation connections). */
export async function trackingClients(admin: Admin): Promise<ClientInfo[]> {
  return (await clientList(admin)).filter((c) => c.flags.includes("t"));
}

/** Kills every tracking connection (`CLIENT KILL ID`); returns how many it killed. */
export async function killTracking(admin: Admin): Promise<number> {
  let killed = 0;
  for (const client of await trackingClients(admin)) {
    killed += await admin.sendCommand(["CLIENT", "KILL", "ID", client.id]) as number;
  }
  return killed;
}

/** How often {@linkcode pollUntil} looks again, in ms. */
export const POLL_MS = 2;

/**
 * Calls `probe` every POLL_MS until it returns true, at most `attempts` times; returns the ms it
 * took, or undefined when it never did.
 */
export async function pollUntil(
  probe: () => Promise<boolean> | boolean,
  attempts: number,
): Promise<number | undefined> {
  const started = performance.now();
  for (let i = 0; i < attempts; i++) {
    if (await probe()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}

/**
 * True once a `getSession` of `id` is answered without the server running a `GET`: the cache
 * holds it. `read` is the adapter's getSession.
 */
export async function servedFromCache(
  admin: Admin,
  read: (id: string) => Promise<unknown>,
  id: string,
): Promise<boolean> {
  await read(id); // Brings the link up and the entry in, if they are not yet.
  const before = await commandCalls(admin, "get");
  await read(id);
  return await commandCalls(admin, "get") === before;
}

/**
 * A TCP front in front of a redis-server, as a virtual IP or a load balancer is in front of a
 * failover pair (a test fixture: it only forwards bytes). `switchTo` moves it to another server
 * and drops every connection it carries, so that the clients reconnect, through it, to that one.
 */
export interface SwitchingFront {
  /** The loopback port clients connect to. */
  readonly port: number;
  /** `redis://127.0.0.1:port`. */
  readonly url: string;
  /** Sends new connections to `target`, and closes the current ones. */
  switchTo(target: { host: string; port: number }): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** Starts a {@linkcode SwitchingFront} to `target` on a free loopback port. */
export async function startSwitchingFront(
  target: { host: string; port: number },
): Promise<SwitchingFront> {
  let current = target;
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    const upstream = new Socket();
    for (const [from, to] of [[downstream, upstream], [upstream, downstream]]) {
      sockets.add(from);
      from.setNoDelay(true);
      from.on("data", (chunk: Uint8Array) => to.write(chunk));
      from.on("error", () => {});
      from.on("close", () => {
        sockets.delete(from);
        to.destroy();
      });
    }
    upstream.connect(current.port, current.host);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    switchTo(next) {
      current = next;
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
