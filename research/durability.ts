/**
 * What the `durability` option costs and what it buys, on loopback: private redis-servers only
 * (never REDIS_URL).
 *
 * 1. Latency: a primary and a replica (`--replicaof`, direct); `deleteSession` one call after
 *    another, with `durability: { replicas: 1, timeout: 1000 }` and without, over node-redis 5
 *    and ioredis 5: median and 99th percentile per call.
 * 2. Failover: the sign-out run of tests/helpers/durability_fixture.ts with larger figures: users signed
 *    out one after another, the replication link black-holed (the stalling proxy) after a third
 *    of them, sign-outs going on for `--stall` ms, then the replica promoted (`REPLICAOF NO ONE`);
 *    counted on it: acknowledged sign-outs that came back, and their live sessions. With the
 *    option and without.
 *
 * ```sh
 * deno run -A research/durability.ts                 # 2,000 calls per cell, a 1.5 s stall
 * deno run -A research/durability.ts --calls 200 --stall 300 --users 300
 * ```
 *
 * Prints markdown tables on stdout (docs/server.md ("Replication and failover") quotes them).
 *
 * @module
 */
import process from "node:process";
import { LuciaError } from "lucia-auth";
import { createClient } from "redis5";
import { Redis } from "ioredis5";
import redis from "../mod.ts";
import { startRedisServer } from "../scripts/redis/server.ts";
import {
  replicationField,
  signOutThroughFailover,
  startPrimary,
  startProxiedReplica,
  until,
} from "../tests/helpers/durability_fixture.ts";

function option(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === `--${name}`);
  const value = at < 0 ? fallback : Number(args[at + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`Cannot run: --${name} must be a positive whole number`);
  }
  return value;
}

const CALLS = option("calls", 2000);
const STALL_MS = option("stall", 1500);
const USERS = option("users", 3000);
const PER_USER = 5;
const HOUR = 3_600_000;

type Client = Parameters<typeof redis>[0];
const CLIENTS: {
  name: string;
  open(url: string): Promise<{ client: Client; close(): Promise<void> }>;
}[] = [
  {
    name: "node-redis 5",
    open: async (url) => {
      const client = createClient({ url });
      await client.connect();
      return { client, close: () => client.close() };
    },
  },
  {
    name: "ioredis 5",
    open: async (url) => {
      const client = new Redis(url);
      await client.ping();
      return { client, close: async () => void await client.quit() };
    },
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const us = (ms: number) => `${Math.round(ms * 1000)} µs`;

/** Median and p99 of `CALLS` deleteSession calls, each of a session stored before. */
async function latency(client: Client, durable: boolean, tag: string) {
  const adapter = redis(client, {
    namespaces: { session: `${tag}:s`, userSession: `${tag}:u` },
    evictionWarning: false,
    ...(durable ? { durability: { replicas: 1, timeout: 1000 } } : {}),
  })(LuciaError);
  const now = Date.now();
  for (let i = 0; i < CALLS; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, CALLS - i) }, (_, j) =>
        adapter.setSession({
          id: `s${i + j}`,
          user_id: `u${(i + j) % 50}`,
          active_expires: now + HOUR,
          idle_expires: now + 2 * HOUR,
        })),
    );
  }
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    await adapter.deleteSession(`s${i}`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

async function latencyTable(): Promise<string[]> {
  const primary = await startPrimary();
  const replica = await startRedisServer({
    env: "",
    extraArgs: ["--replicaof", primary.host, String(primary.port)],
  });
  try {
    await until(
      async () => (await replicationField(replica, "master_link_status")) === "up",
      10_000,
      "the replica is linked",
    );
    const rows = [
      `deleteSession, ${CALLS} calls one after another, loopback, a replica on the same machine:`,
      "",
      "| client | no durability: median | p99 | replicas: 1: median | p99 |",
      "| --- | --- | --- | --- | --- |",
    ];
    for (const kind of CLIENTS) {
      const { client, close } = await kind.open(primary.url);
      try {
        // Warm up (scripts loaded, the replica's first acknowledgement in).
        await latency(client, true, `warm${kind.name.length}`);
        const plain = await latency(client, false, `plain${kind.name.length}`);
        const durable = await latency(client, true, `durable${kind.name.length}`);
        rows.push(
          `| ${kind.name} | ${us(plain.median)} | ${us(plain.p99)} | ${us(durable.median)} | ${
            us(durable.p99)
          } |`,
        );
      } finally {
        await close();
      }
    }
    return rows;
  } finally {
    await replica.stop();
    await primary.stop();
  }
}

async function failoverTable(): Promise<string[]> {
  const rows = [
    `${USERS} users with ${PER_USER} sessions each signed out one after another over node-redis 5;`,
    `the link black-holed after ${
      Math.floor(USERS / 3)
    } sign-outs, the replica promoted ${STALL_MS} ms later:`,
    "",
    "| durability | sign-outs acknowledged | rejected (DurabilityError) | acknowledged, came back | live sessions they had |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const durable of [false, true]) {
    const primary = await startPrimary();
    const replica = await startProxiedReplica(primary);
    const { client, close } = await CLIENTS[0].open(primary.url);
    try {
      const tag = `failover${durable ? 1 : 0}`;
      const ns = { session: `${tag}:s`, userSession: `${tag}:u`, root: tag };
      const adapter = redis(client, {
        namespaces: { session: ns.session, userSession: ns.userSession },
        evictionWarning: false,
        ...(durable ? { durability: { replicas: 1, timeout: 500 } } : {}),
      })(LuciaError);
      const outcome = await signOutThroughFailover(adapter, replica, ns, {
        users: USERS,
        sessionsPerUser: PER_USER,
        beforeStall: Math.floor(USERS / 3),
        stallMs: STALL_MS,
      });
      rows.push(
        `| ${
          durable ? "replicas: 1, timeout: 500" : "off"
        } | ${outcome.acknowledged} | ${outcome.rejected} | ${outcome.cameBack} | ${outcome.aliveSessions} |`,
      );
    } finally {
      await close();
      await replica.stop();
      await primary.stop();
    }
  }
  return rows;
}

console.log((await latencyTable()).join("\n"));
console.log();
console.log((await failoverTable()).join("\n"));
process.exit(0);
