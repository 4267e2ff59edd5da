/**
 * Test fixture for the `durability` option: a primary and a replica whose replication link runs
 * through a stalling TCP proxy (a test fixture, not a mock: both ends are real redis-servers; the
 * proxy only forwards bytes, and stops forwarding them on `stall()` without closing anything,
 * which is how a black-holed network looks to Redis), and a sign-out run that ends in a failover
 * (`REPLICAOF NO ONE` on the replica) and counts the acknowledged sign-outs the promoted replica
 * lost. research/durability.ts runs the same with larger figures.
 *
 * @module
 */
import { createServer, type Server, Socket } from "node:net";
import { createClient } from "redis4";
import { DurabilityError } from "../../mod.ts";
import { rawCommand, type RedisServer, startRedisServer } from "../../scripts/redis/server.ts";
import { START_BUDGET_MS } from "../faults/harness.ts";

/** A TCP proxy that forwards both ways until stalled. */
export interface StallingProxy {
  /** The loopback port it listens on. */
  readonly port: number;
  /** Stops forwarding in both directions (pauses every socket); nothing is closed. */
  stall(): void;
  /** Forwards again, including what queued up while stalled. */
  resume(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** Starts a stalling proxy to `target` on a free loopback port. */
export async function startStallingProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let stalled = false;
  const server: Server = createServer((downstream) => {
    const upstream = new Socket();
    for (const [from, to] of [[downstream, upstream], [upstream, downstream]]) {
      sockets.add(from);
      from.setNoDelay(true); // Replication's acknowledgements are small: no Nagle delay.
      from.on("data", (chunk: Uint8Array) => to.write(chunk));
      from.on("error", () => {});
      from.on("close", () => {
        sockets.delete(from);
        to.destroy();
      });
    }
    if (stalled) {
      downstream.pause();
      upstream.pause();
    }
    upstream.connect(target.port, target.host);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const proxy: StallingProxy = {
    port: typeof address === "object" && address !== null ? address.port : 0,
    stall() {
      stalled = true;
      for (const socket of sockets) socket.pause();
    },
    resume() {
      stalled = false;
      for (const socket of sockets) socket.resume();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

/**
 * How long a new replica may take to start and sync an almost empty primary, or to receive a
 * few thousand small writes: as long as a server may take to start (START_BUDGET_MS).
 */
export const REPLICA_UP_MS = START_BUDGET_MS;

/** A replica of `primary` replicating through a stalling proxy. */
export interface ProxiedReplica {
  readonly server: RedisServer;
  readonly proxy: StallingProxy;
  /** Stops the replica and the proxy. */
  stop(): Promise<void>;
}

/** Polls `condition` every 10 ms until it holds, or throws naming `what` after `budgetMs`. */
export async function until(
  condition: () => Promise<boolean>,
  budgetMs: number,
  what: string,
): Promise<void> {
  const end = performance.now() + budgetMs;
  while (!(await condition())) {
    if (performance.now() > end) throw new Error(`${what}: not within ${budgetMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The value of one field of `INFO replication` on a server. */
export async function replicationField(
  server: { host: string; port: number },
  field: string,
): Promise<string | undefined> {
  const info = await rawCommand(server.host, server.port, "INFO replication");
  return new RegExp(`^${field}:(.*?)\\r?$`, "m").exec(info)?.[1];
}

/**
 * Starts a primary for these tests: a private redis-server that syncs a new replica at once
 * (Redis 7 otherwise holds a diskless sync back 5 s, waiting for more replicas).
 */
export function startPrimary(): Promise<RedisServer> {
  return startRedisServer({ env: "", extraArgs: ["--repl-diskless-sync-delay", "0"] });
}

/** Starts a replica of `primary` through a new stalling proxy, and waits until it is in sync. */
export async function startProxiedReplica(primary: RedisServer): Promise<ProxiedReplica> {
  const proxy = await startStallingProxy(primary);
  const server = await startRedisServer({
    env: "",
    extraArgs: ["--replicaof", "127.0.0.1", String(proxy.port)],
  });
  await until(
    async () =>
      (await replicationField(server, "master_link_status")) === "up" &&
      /state=online/.test(await replicationField(primary, "slave0") ?? ""),
    REPLICA_UP_MS,
    "the replica is linked to its primary and online",
  );
  // A replica that has just come online may acknowledge its first writes only with its periodic
  // REPLCONF ACK (once a second): wait for one write to be acknowledged before the tests start.
  const probe = createClient({ url: primary.url });
  await probe.connect();
  try {
    await probe.set("durability-fixture-probe", "1", { PX: 60_000 });
    const acknowledged = await probe.sendCommand(["WAIT", "1", String(REPLICA_UP_MS)]);
    if (acknowledged !== 1) throw new Error("the replica did not acknowledge a first write");
  } finally {
    await probe.quit();
  }
  return {
    server,
    proxy,
    stop: async () => {
      await proxy.close();
      await server.stop();
    },
  };
}

/** `REPLICAOF NO ONE`: promotes the replica to a primary, as a failover does. */
export async function promote(replica: RedisServer): Promise<void> {
  const reply = await rawCommand(replica.host, replica.port, "REPLICAOF NO ONE");
  if (!reply.startsWith("+OK")) throw new Error(`REPLICAOF NO ONE: ${reply.trim()}`);
}

/** What the adapter must offer for a sign-out run (Lucia v1's or v2's adapter alike). */
export interface SignOutAdapter {
  setSession(session: {
    id: string;
    user_id: string;
    active_expires: number;
    idle_expires: number;
  }): Promise<void>;
  deleteSessionsByUserId(userId: string): Promise<void>;
}

/** What a sign-out run ending in a failover found on the promoted replica. */
export interface FailoverOutcome {
  /** Sign-outs the adapter resolved (acknowledged). */
  acknowledged: number;
  /** Sign-outs rejected with a DurabilityError. */
  rejected: number;
  /** Acknowledged sign-outs of which a session is alive on the promoted replica. */
  cameBack: number;
  /** Sessions alive on the promoted replica although their user's sign-out was acknowledged. */
  aliveSessions: number;
  /** Sign-outs sent after the link stalled. */
  duringStall: number;
}

/** Attempts of a sign-out while the link is healthy (each lasts at most the option's timeout). */
export const HEALTHY_ATTEMPTS = 10;

/** The plan of a sign-out run. */
export interface FailoverPlan {
  /** Users signed in, each with `sessionsPerUser` sessions, then signed out one after another. */
  users: number;
  sessionsPerUser: number;
  /** How many sign-outs run before the link stalls. */
  beforeStall: number;
  /** How long sign-outs go on after the stall before the replica is promoted, in ms. */
  stallMs: number;
}

/**
 * Signs `plan.users` users in through `adapter` (on `primary`), waits until the replica has
 * every session, signs them out one after another, stalls the link after `beforeStall` sign-outs
 * and keeps signing out for `stallMs` (or until every user is done), then promotes the replica
 * and counts, on it, the sessions of users whose sign-out was acknowledged. Sessions are under
 * `ns`.
 */
export async function signOutThroughFailover(
  adapter: SignOutAdapter,
  replica: ProxiedReplica,
  ns: { session: string; userSession: string; root: string },
  plan: FailoverPlan,
): Promise<FailoverOutcome> {
  const now = Date.now();
  const users = Array.from({ length: plan.users }, (_, u) => `user${u}`);
  const ids = (user: string) =>
    Array.from({ length: plan.sessionsPerUser }, (_, s) => `${user}-session${s}`);
  for (const user of users) {
    await Promise.all(
      ids(user).map((id) =>
        adapter.setSession({
          id,
          user_id: user,
          active_expires: now + 3_600_000,
          idle_expires: now + 7_200_000,
        })
      ),
    );
  }
  const onReplica = createClient({ url: replica.server.url });
  await onReplica.connect();
  try {
    const expected = plan.users * (plan.sessionsPerUser + 1);
    await until(
      async () => (await onReplica.keys(`${ns.root}:*`)).length === expected,
      REPLICA_UP_MS,
      "the replica has every session",
    );
    const acknowledged: string[] = [];
    let rejected = 0, duringStall = 0, stalledAt = 0;
    for (const [i, user] of users.entries()) {
      if (i === plan.beforeStall) {
        replica.proxy.stall();
        stalledAt = performance.now();
      }
      if (stalledAt > 0) {
        if (performance.now() - stalledAt > plan.stallMs) break;
        duringStall++;
      }
      // Before the stall the link is healthy, but a loaded machine can still make the replica
      // late: such a sign-out is retried (it is applied on the primary, so a retry is safe, as
      // the README advises) up to HEALTHY_ATTEMPTS times. During the stall nothing is retried.
      for (let attempt = 1;; attempt++) {
        try {
          await adapter.deleteSessionsByUserId(user);
          acknowledged.push(user);
        } catch (error) {
          if (!(error instanceof DurabilityError)) throw error;
          if (stalledAt === 0 && attempt < HEALTHY_ATTEMPTS) continue;
          rejected++;
        }
        break;
      }
    }
    await promote(replica.server);
    let cameBack = 0, aliveSessions = 0;
    for (const user of acknowledged) {
      const values = await onReplica.mGet(ids(user).map((id) => `${ns.session}:${id}`));
      const alive = values.filter((v) => v !== null && v !== "").length;
      if (alive > 0) cameBack++;
      aliveSessions += alive;
    }
    return { acknowledged: acknowledged.length, rejected, cameBack, aliveSessions, duringStall };
  } finally {
    await onReplica.quit();
  }
}
