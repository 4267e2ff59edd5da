/**
 * The `cache` option against a real redis-server: getSession answers from the cache, Redis's
 * invalidations reach every cached instance (revocations through another client seen within
 * 50 ms), a lost invalidation connection (CLIENT KILL, a server restart, a failover) or a
 * FLUSHALL leaves no stale session behind, entries go at maxAge, at the session's idle expiry and
 * beyond maxEntries, a property test compares several cached instances with Redis, and bad option
 * values are refused.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LuciaError } from "lucia-auth";
import redis, { type RedisSessionAdapter } from "../mod.ts";
import redisV2 from "../v2.ts";
import { Lru } from "../src/core/lru.ts";
import { HEARTBEAT_INTERVAL, HEARTBEAT_TIMEOUT, SessionCache } from "../src/store/cache.ts";
import { toConnection } from "../src/clients/table.ts";
import { freshNamespaces, type RedisServer, session, useRedis } from "./helpers/harness.ts";
import type { OpenedClient } from "./contract/suite.ts";
import {
  CACHED_SETUPS,
  commandCalls,
  killTracking,
  MAIN_SETUPS,
  POLL_MS,
  pollUntil,
  servedFromCache,
  trackingClients,
} from "./helpers/cache_fixture.ts";
import { setupNamed } from "./helpers/setups.ts";
import { START_BUDGET_MS, startKillableServer } from "./faults/harness.ts";
import { createClient, createCluster } from "redis4";
import { Cluster } from "ioredis5";
import { Redis as Upstash } from "@upstash/redis";
import {
  startPrimary,
  startProxiedReplica,
  startStallingProxy,
  until,
} from "./helpers/durability_fixture.ts";
import { startSwitchingFront } from "./helpers/cache_fixture.ts";

/** The bound on a revocation's travel to a cached instance, by the issue. */
const REVOCATION_MS = 50;
/** Polls that cover it. */
const REVOCATION_POLLS = Math.ceil(REVOCATION_MS / POLL_MS);
/** How long a link may take to come up on a loaded machine: polls over 5 s. */
const LINK_UP_POLLS = Math.ceil(5_000 / POLL_MS);
const CACHE = { maxEntries: 1000, maxAge: 60_000 };

const ctx = useRedis();

type Opened = OpenedClient & { adapter: RedisSessionAdapter };

/** Opens a client of the setup and a cached adapter over it (closed after the file). */
async function cachedAdapter(
  setupName: string,
  namespaces: { session: string; userSession: string },
  cache = CACHE,
  extra: Record<string, unknown> = {},
  server: RedisServer = ctx.server,
): Promise<Opened> {
  const opened = await setupNamed(setupName).open(server);
  ctx.cleanups.push(() => opened.close());
  const adapter = redis(opened.client as never, {
    namespaces: { session: namespaces.session, userSession: namespaces.userSession },
    cache,
    ...extra,
  })(LuciaError);
  return { ...opened, adapter };
}

/** An adapter without the cache over the inspection client, writing where `cached`'s keys land. */
function writerFor(
  cached: { keyPrefix?: string },
  namespaces: { session: string; userSession: string },
): RedisSessionAdapter {
  const prefix = cached.keyPrefix ?? "";
  return redis(ctx.admin, {
    namespaces: {
      session: prefix + namespaces.session,
      userSession: prefix + namespaces.userSession,
    },
  })(LuciaError);
}

/** Waits until `adapter` serves `id` from its cache (its link up, the entry in). */
async function untilCached(adapter: RedisSessionAdapter, id: string): Promise<void> {
  const ms = await pollUntil(
    () => servedFromCache(ctx.admin, (i) => adapter.getSession(i), id),
    LINK_UP_POLLS,
  );
  assert.notEqual(ms, undefined, "the cache never served the session");
}

/** The adapter's namespaces of a fresh test namespace. */
function namesOf(ns: { session: string; userSession: string }) {
  return { session: ns.session, userSession: ns.userSession };
}

/** True when one getSession of `id` is answered without the server running a GET. */
async function isHit(adapter: RedisSessionAdapter, id: string): Promise<boolean> {
  const before = await commandCalls(ctx.admin, "get");
  await adapter.getSession(id);
  return await commandCalls(ctx.admin, "get") === before;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the cache option", () => {
  for (const setup of CACHED_SETUPS) {
    it(`revocations through another client reach a cached ${setup.name} instance within 50 ms`, async () => {
      const ns = freshNamespaces();
      const cached = await cachedAdapter(setup.name, ns);
      const writer = writerFor(cached, ns);
      await writer.setSession(session("s1", "u1"));
      await writer.setSession(session("s2", "u2"));
      await writer.setSession(session("s3", "u2"));
      for (const id of ["s1", "s2", "s3"]) await untilCached(cached.adapter, id);

      await writer.deleteSession("s1");
      const one = await pollUntil(
        async () => await cached.adapter.getSession("s1") === null,
        REVOCATION_POLLS,
      );
      assert.notEqual(one, undefined, "deleteSession not seen within 50 ms");

      await writer.deleteSessionsByUserId("u2");
      const all = await pollUntil(async () => {
        const [a, b] = await Promise.all(["s2", "s3"].map((id) => cached.adapter.getSession(id)));
        return a === null && b === null;
      }, REVOCATION_POLLS);
      assert.notEqual(all, undefined, "deleteSessionsByUserId not seen within 50 ms");
    });
  }

  for (const setup of MAIN_SETUPS) {
    it(`a cached ${setup.name} instance reads its own writes at once`, async () => {
      const ns = freshNamespaces();
      const { adapter } = await cachedAdapter(setup.name, ns, CACHE, { maxSessionsPerUser: 2 });
      await adapter.setSession(session("a", "u"));
      await untilCached(adapter, "a");
      await adapter.deleteSession("a");
      assert.equal(await adapter.getSession("a"), null);

      await adapter.setSession(session("b", "u"));
      await adapter.setSession(session("c", "u"));
      await untilCached(adapter, "b");
      await untilCached(adapter, "c");
      // A third session under a cap of 2 signs the oldest ("b") out.
      await adapter.setSession(session("d", "u", 2 * 60 * 60 * 1000));
      assert.equal(await adapter.getSession("b"), null);
      assert.equal((await adapter.getSession("c"))?.id, "c");
      await adapter.deleteSessionsByUserId("u");
      assert.equal(await adapter.getSession("c"), null);
      assert.equal(await adapter.getSession("d"), null);
    });

    it(`the Lucia v2 adapter with the cache over ${setup.name} reads its own updates at once`, async () => {
      const ns = freshNamespaces();
      const opened = await setupNamed(setup.name).open(ctx.server);
      ctx.cleanups.push(() => opened.close());
      const adapter = redisV2(opened.client as never, {
        session: ns.session,
        userSessions: ns.userSession,
        cache: CACHE,
      })();
      await adapter.setSession({ ...session("v", "u"), country: "FR" });
      const polls = await pollUntil(async () => {
        await adapter.getSession("v");
        const before = await commandCalls(ctx.admin, "get");
        await adapter.getSession("v");
        return await commandCalls(ctx.admin, "get") === before;
      }, LINK_UP_POLLS);
      assert.notEqual(polls, undefined, "the cache never served the session");
      await adapter.updateSession("v", { country: "DE" });
      assert.equal((await adapter.getSession("v"))?.country, "DE");
    });

    it(`killing ${setup.name}'s tracking connection leaves no stale session served`, async () => {
      const ns = freshNamespaces();
      const cached = await cachedAdapter(setup.name, ns);
      const writer = writerFor(cached, ns);
      await writer.setSession(session("k1", "u"));
      await writer.setSession(session("k2", "u"));
      await untilCached(cached.adapter, "k1");
      await untilCached(cached.adapter, "k2");
      assert.ok(await killTracking(ctx.admin) >= 1);
      // While nothing tracks: Redis sends this one to no one.
      await writer.deleteSession("k1");
      const seen = await pollUntil(
        async () => await cached.adapter.getSession("k1") === null,
        REVOCATION_POLLS,
      );
      assert.notEqual(seen, undefined, "the stale session was served past the connection's loss");
      // The link comes back, and with it the cache; k1 stays gone.
      await untilCached(cached.adapter, "k2");
      assert.equal(await cached.adapter.getSession("k1"), null);
      assert.ok((await trackingClients(ctx.admin)).length >= 1);
      // And revocations flow again.
      await writer.deleteSession("k2");
      const again = await pollUntil(
        async () => await cached.adapter.getSession("k2") === null,
        REVOCATION_POLLS,
      );
      assert.notEqual(again, undefined, "revocation not seen over the new connection");
    });
  }

  it("FLUSHALL empties every cache within 50 ms", async (t) => {
    if (!ctx.server.owned) return t.skip("the tests did not start this server");
    const ns = freshNamespaces();
    const instances = await Promise.all(MAIN_SETUPS.map((s) => cachedAdapter(s.name, ns)));
    const writer = writerFor({}, ns);
    await writer.setSession(session("f1", "u"));
    for (const { adapter } of instances) await untilCached(adapter, "f1");
    await ctx.admin.sendCommand(["FLUSHALL"]);
    for (const { adapter } of instances) {
      const ms = await pollUntil(
        async () => await adapter.getSession("f1") === null,
        REVOCATION_POLLS,
      );
      assert.notEqual(ms, undefined, "FLUSHALL not seen within 50 ms");
    }
  });

  it("holds at most maxEntries sessions, dropping the least recently used", async () => {
    const ns = freshNamespaces();
    const { adapter } = await cachedAdapter("node-redis 5", ns, { maxEntries: 3, maxAge: 60_000 });
    const writer = writerFor({}, ns);
    for (const id of ["m1", "m2", "m3", "m4", "m5"]) await writer.setSession(session(id, "u"));
    await untilCached(adapter, "m1");
    for (const id of ["m2", "m3", "m4", "m5"]) await adapter.getSession(id);
    for (const id of ["m5", "m4", "m3"]) assert.ok(await isHit(adapter, id), `${id} is cached`);
    assert.equal(await isHit(adapter, "m1"), false, "m1 was dropped");
    assert.equal(await isHit(adapter, "m2"), false, "m2 was dropped");
  });

  it("serves an entry no longer than maxAge after it was read", async () => {
    const ns = freshNamespaces();
    const maxAge = 300;
    const { adapter } = await cachedAdapter("ioredis 5", ns, { maxEntries: 10, maxAge });
    const writer = writerFor({}, ns);
    await writer.setSession(session("warm", "u"));
    await writer.setSession(session("aged", "u"));
    await untilCached(adapter, "warm");
    await adapter.getSession("aged");
    const readAt = performance.now(); // The entry was stored before this.
    assert.ok(await isHit(adapter, "aged"));
    await sleep(readAt + maxAge + 1 - performance.now());
    assert.equal(await isHit(adapter, "aged"), false, "served past maxAge");
  });

  it("serves no session past its idle expiry", async () => {
    const ns = freshNamespaces();
    const { adapter } = await cachedAdapter("node-redis 5", ns);
    const writer = writerFor({}, ns);
    await writer.setSession(session("warm", "u"));
    await untilCached(adapter, "warm");
    const short = session("idle", "u", 1000);
    await writer.setSession(short);
    // Until cached: a read overlapping the invalidation of this very write does not store.
    await untilCached(adapter, "idle");
    assert.ok(Date.now() < short.idle_expires, "cached only after its idle expiry");
    await sleep(short.idle_expires + 1 - Date.now());
    assert.equal(await adapter.getSession("idle"), null);
  });

  it("refuses bad cache options with a TypeError or RangeError naming cache", () => {
    const client = createClient();
    const cases: [unknown, typeof TypeError | typeof RangeError][] = [
      [null, TypeError],
      ["on", TypeError],
      [{}, TypeError],
      [{ maxEntries: 10 }, TypeError],
      [{ maxAge: 10 }, TypeError],
      [{ maxEntries: "10", maxAge: 10 }, TypeError],
      [{ maxEntries: 0, maxAge: 10 }, RangeError],
      [{ maxEntries: 1.5, maxAge: 10 }, RangeError],
      [{ maxEntries: 10, maxAge: -1 }, RangeError],
      [{ maxEntries: 10, maxAge: Infinity }, RangeError],
      [{ maxEntries: 10, maxAge: 10, ttl: 5 }, TypeError],
    ];
    for (const [cache, kind] of cases) {
      assert.throws(() => redis(client, { cache: cache as never }), (error: Error) => {
        assert.ok(error instanceof kind, `${JSON.stringify(cache)}: ${error.name}`);
        assert.match(error.message, /"cache/);
        return true;
      });
      assert.throws(() => redisV2(client, { cache: cache as never }), kind);
    }
  });

  it("is refused, naming why, for cluster clients, Upstash and (on Bun) Bun's client", () => {
    const cache = { maxEntries: 10, maxAge: 1000 };
    const nodeCluster = createCluster({ rootNodes: [{ url: "redis://127.0.0.1:1" }] });
    const ioCluster = new Cluster([{ host: "127.0.0.1", port: 1 }], { lazyConnect: true });
    const upstash = new Upstash({ url: "https://example.invalid", token: "t" });
    try {
      for (const client of [nodeCluster, ioCluster]) {
        assert.throws(() => redis(client as never, { cache }), /option "cache".*Redis Cluster/);
      }
      assert.throws(() => redis(upstash, { cache }), /option "cache".*HTTP request/);
      const BunRedis = (globalThis as { Bun?: { RedisClient?: new (url: string) => object } }).Bun
        ?.RedisClient;
      if (BunRedis !== undefined) {
        const bunClient = new BunRedis(ctx.server.url);
        assert.throws(() => redis(bunClient as never, { cache }), /option "cache".*RESP3/);
      }
    } finally {
      ioCluster.disconnect();
    }
  });

  it("never holds more than maxEntries over a million distinct ids (the LRU alone)", () => {
    let evicted = 0;
    const lru = new Lru<number>(1000, () => evicted++);
    for (let i = 0; i < 1_000_000; i++) {
      lru.set(`session:${i}`, i);
      if (lru.size > 1000) assert.fail(`size ${lru.size} after ${i + 1} ids`);
    }
    assert.equal(lru.size, 1000);
    assert.equal(evicted, 999_000);
    assert.equal(lru.peek("session:999999"), 999_999);
    assert.equal(lru.peek("session:998999"), undefined);
  });

  it("never holds more than maxEntries against Redis, over 20,000 distinct sessions", async () => {
    const ns = freshNamespaces();
    const opened = await setupNamed("node-redis 5").open(ctx.server);
    ctx.cleanups.push(() => opened.close());
    const connection = toConnection(opened.client);
    const prefix = `${ns.session}:`;
    const cache = new SessionCache(connection, prefix, { maxEntries: 100, maxAge: 60_000 });
    const value = (i: number) => JSON.stringify({ ...session(`b${i}`, `u${i % 50}`), id: `b${i}` });
    const up = await pollUntil(async () => {
      await cache.read(`${prefix}warm`, () => Promise.resolve(value(0)));
      return cache.confirmed;
    }, LINK_UP_POLLS);
    assert.notEqual(up, undefined, "the invalidation connection never came up");
    for (let i = 0; i < 20_000; i++) {
      await cache.read(`${prefix}b${i}`, () => Promise.resolve(value(i)));
      if (cache.size > 100) assert.fail(`size ${cache.size} after ${i + 1} sessions`);
    }
    assert.equal(cache.size, 100);
    assert.ok(cache.counts.misses >= 20_000);
  });

  it("three cached instances agree with Redis at every quiet point of random writes", async () => {
    const ns = freshNamespaces();
    const instances = await Promise.all(
      ["node-redis 5", "ioredis 5", "node-redis 4"].map((name) => cachedAdapter(name, ns)),
    );
    const writer = redisV2(ctx.admin, { session: ns.session, userSessions: ns.userSession })();
    const ids = ["p0", "p1", "p2", "p3", "p4", "p5"];
    const users = ["ua", "ub"];
    await writer.setSession(session("warm", "uw"));
    for (const { adapter } of instances) await untilCached(adapter, "warm");
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("set" as const),
        id: fc.constantFrom(...ids),
        user: fc.constantFrom(...users),
      }),
      fc.record({
        kind: fc.constant("update" as const),
        id: fc.constantFrom(...ids),
        n: fc.nat(9),
      }),
      fc.record({ kind: fc.constant("delete" as const), id: fc.constantFrom(...ids) }),
      fc.record({ kind: fc.constant("deleteUser" as const), user: fc.constantFrom(...users) }),
      fc.record({ kind: fc.constant("read" as const), id: fc.constantFrom(...ids) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 5 }),
        async (batches) => {
          for (const batch of batches) {
            for (const step of batch) {
              if (step.kind === "set") {
                await writer.setSession(session(step.id, step.user)).catch(() => {}); // duplicate id
              } else if (step.kind === "update") {
                await writer.updateSession(step.id, { n: step.n });
              } else if (step.kind === "delete") {
                await writer.deleteSession(step.id);
              } else if (step.kind === "deleteUser") {
                await writer.deleteSessionsByUserId(step.user);
              }
              // Every instance reads in between, so that their caches hold what changes next.
              await Promise.all(
                instances.map(({ adapter }) => adapter.getSession("id" in step ? step.id : ids[0])),
              );
            }
            // A quiet point: every instance agrees with Redis within the revocation bound.
            for (const id of ids) {
              const truth = JSON.stringify(await writer.getSession(id));
              for (const { adapter } of instances) {
                const ms = await pollUntil(
                  async () => JSON.stringify(await adapter.getSession(id)) === truth,
                  REVOCATION_POLLS,
                );
                assert.notEqual(ms, undefined, `${id}: an instance disagrees with Redis`);
              }
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

/** The restart runs over both node-redis majors that reconnect by default, and ioredis. */
const RESTART_SETUPS = [
  "node-redis 4",
  "node-redis 5",
  "node-redis 6 (RESP3, its default)",
  "ioredis 5",
].map(setupNamed);
/** The adapter's deadline in the restart and failover tests: each read settles within it. */
const DEADLINE = 500;

describe("the cache across a server restart", () => {
  for (const setup of RESTART_SETUPS) {
    it(`${setup.name}: no session from before a restart is served after it`, async () => {
      const server = await startKillableServer();
      const target = { ...ctx.server, url: server.url, host: server.host, port: server.port };
      const opened = await setupNamed(setup.name).open(target as RedisServer);
      // Without a listener, a client's 'error' event would throw out of its reconnection.
      (opened.client as { on(event: string, listener: () => void): void }).on("error", () => {});
      const admin = createClient({ url: server.url });
      await admin.connect();
      admin.on("error", () => {});
      try {
        const ns = freshNamespaces();
        const adapter = redis(opened.client as never, {
          namespaces: namesOf(ns),
          cache: CACHE,
          deadline: DEADLINE,
        })();
        const writer = redis(admin, { namespaces: namesOf(ns) })();
        await writer.setSession(session("r1", "u"));
        const cachedOk = await pollUntil(async () => {
          await adapter.getSession("r1");
          const before = await commandCalls(admin, "get");
          await adapter.getSession("r1");
          return await commandCalls(admin, "get") === before;
        }, LINK_UP_POLLS);
        assert.notEqual(cachedOk, undefined, "the cache never served the session");
        await server.kill();
        await server.start(); // Empty: persistence is off.
        // Every read that succeeds from now on finds no session (the restarted server has none).
        // Reads fail while the client reconnects, each within the deadline. A client can also
        // stay stuck after its server is killed (node-redis 5 and ioredis 5 were seen to, about
        // one run in ten under load: a client fault, see tests/fault_load.test.ts); then every
        // read rejects by its deadline, and the cache serves nothing either, which is what this
        // test holds it to.
        const budget = Math.ceil((START_BUDGET_MS + 5_000) / DEADLINE);
        const answered = await pollUntil(async () => {
          try {
            assert.equal(await adapter.getSession("r1"), null);
            return true;
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            return false; // The client is reconnecting, or stuck.
          }
        }, budget);
        if (answered === undefined) {
          console.log(
            `${setup.name}: the client stayed stuck after the restart (a client fault); ` +
              `each of ${budget} reads rejected by its deadline, none served a session`,
          );
        } else {
          for (let i = 0; i < 20; i++) assert.equal(await adapter.getSession("r1"), null);
        }
      } finally {
        // Not quit(): a stuck client would wait for ever to send it. destroy() (node-redis 5
        // and 6) or disconnect() (node-redis 4, ioredis) closes the socket at once.
        const client = opened.client as { destroy?(): void; disconnect?(): unknown };
        if (typeof client.destroy === "function") client.destroy();
        else await Promise.resolve(client.disconnect?.()).catch(() => {});
        await admin.disconnect().catch(() => {});
        await server.stop();
      }
    });
  }
});

describe("the cache across a failover", () => {
  for (const setup of MAIN_SETUPS) {
    it(`${setup.name}: moved to a promoted replica, no entry of the old primary is served`, async () => {
      const primary = await startPrimary();
      const replica = await startProxiedReplica(primary);
      const front = await startSwitchingFront(primary);
      const viaFront = { ...primary, url: front.url, port: front.port } as RedisServer;
      const opened = await setupNamed(setup.name).open(viaFront);
      (opened.client as { on(event: string, listener: () => void): void }).on("error", () => {});
      const toPrimary = createClient({ url: primary.url });
      const toReplica = createClient({ url: replica.server.url });
      await toPrimary.connect();
      await toReplica.connect();
      try {
        const ns = freshNamespaces();
        const adapter = redis(opened.client as never, {
          namespaces: namesOf(ns),
          cache: CACHE,
          deadline: DEADLINE,
        })();
        const onPrimary = redis(toPrimary, { namespaces: namesOf(ns) })();
        const onReplica = redis(toReplica, { namespaces: namesOf(ns) })();
        await onPrimary.setSession(session("f1", "old-owner"));
        await until(async () => (await onReplica.getSession("f1")) !== null, 5_000, "replicated");
        const cachedOk = await pollUntil(async () => {
          await adapter.getSession("f1");
          const before = await commandCalls(toPrimary, "get");
          await adapter.getSession("f1");
          return await commandCalls(toPrimary, "get") === before;
        }, LINK_UP_POLLS);
        assert.notEqual(cachedOk, undefined, "the cache never served the session");
        // The failover: the replica is promoted and diverges (the old primary's last writes are
        // lost, here the session changes owner); the front now leads to it.
        await toReplica.sendCommand(["REPLICAOF", "NO", "ONE"]);
        await onReplica.deleteSession("f1");
        await onReplica.setSession(session("f1", "new-owner"));
        front.switchTo(replica.server);
        const budget = Math.ceil(10_000 / DEADLINE);
        const answered = await pollUntil(async () => {
          try {
            return (await adapter.getSession("f1"))?.user_id === "new-owner";
          } catch {
            return false; // The client is reconnecting.
          }
        }, budget);
        assert.notEqual(answered, undefined, "the promoted replica's session was never read");
        for (let i = 0; i < 20; i++) {
          assert.equal((await adapter.getSession("f1"))?.user_id, "new-owner");
        }
        // The cache works over the new primary, and revocations reach it.
        const again = await pollUntil(async () => {
          await adapter.getSession("f1");
          const before = await commandCalls(toReplica, "get");
          await adapter.getSession("f1");
          return await commandCalls(toReplica, "get") === before;
        }, LINK_UP_POLLS);
        assert.notEqual(again, undefined, "the cache never served again");
        await onReplica.deleteSession("f1");
        const seen = await pollUntil(
          async () => await adapter.getSession("f1") === null,
          REVOCATION_POLLS,
        );
        assert.notEqual(seen, undefined, "revocation on the new primary not seen within 50 ms");
      } finally {
        await opened.close().catch(() => {});
        await toPrimary.quit();
        await toReplica.quit();
        await front.close();
        await replica.stop();
        await primary.stop();
      }
    });
  }
});

describe("the cache refused by Redis", () => {
  it("warns once, naming the refusal, and every read goes to Redis", async (t) => {
    if (!ctx.server.owned) return t.skip("the tests did not start this server (an ACL user)");
    const user = `nocache${Date.now().toString(36)}`;
    await ctx.admin.sendCommand(
      ["ACL", "SETUSER", user, "on", ">pw", "~*", "&*", "+@all", "-client|tracking"],
    );
    const url = new URL(ctx.server.url);
    url.username = user;
    url.password = "pw";
    const { createClient: create5 } = await import("redis5");
    const client = create5({ url: url.toString() });
    await client.connect();
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (message: string) => void warnings.push(String(message));
    try {
      const ns = freshNamespaces();
      const adapter = redis(client, { namespaces: namesOf(ns), cache: CACHE })();
      await writerFor({}, ns).setSession(session("n1", "u"));
      const warned = await pollUntil(async () => {
        assert.equal((await adapter.getSession("n1"))?.id, "n1");
        return warnings.length > 0;
      }, LINK_UP_POLLS);
      assert.notEqual(warned, undefined, "no warning");
      assert.match(warnings[0], /session cache is bypassed: Redis refused .*NOPERM/);
      for (let i = 0; i < 3; i++) assert.equal(await isHit(adapter, "n1"), false);
      await sleep(100); // Another attempt or two, after the backoff: no second warning.
      await adapter.getSession("n1");
      assert.equal(warnings.length, 1);
    } finally {
      console.warn = warn;
      await client.close();
      await ctx.admin.sendCommand(["ACL", "DELUSER", user]);
    }
  });
});

describe("the cache's heartbeat", () => {
  for (const setup of MAIN_SETUPS) {
    it(`${setup.name}: keeps the cache up over a quiet link, on the same connection`, async () => {
      const ns = freshNamespaces();
      const cached = await cachedAdapter(setup.name, ns);
      const writer = writerFor(cached, ns);
      await writer.setSession(session("h1", "u"));
      await untilCached(cached.adapter, "h1");
      const before = (await trackingClients(ctx.admin)).map((c) => c.id).sort();
      // Reads for longer than the heartbeat's interval and timeout: every one a hit.
      const until = performance.now() + HEARTBEAT_INTERVAL + HEARTBEAT_TIMEOUT + 500;
      let reads = 0;
      while (performance.now() < until) {
        assert.ok(await isHit(cached.adapter, "h1"), `read ${reads} went to Redis`);
        reads++;
        await sleep(50);
      }
      assert.deepEqual((await trackingClients(ctx.admin)).map((c) => c.id).sort(), before);
    });

    it(`${setup.name}: a link that goes silent stops the cache within the heartbeat's bound`, async () => {
      const proxy = await startStallingProxy(ctx.server);
      const viaProxy = { ...ctx.server, url: `redis://127.0.0.1:${proxy.port}`, port: proxy.port };
      const ns = freshNamespaces();
      const opened = await setupNamed(setup.name).open(viaProxy as RedisServer);
      (opened.client as { on(event: string, listener: () => void): void }).on("error", () => {});
      try {
        const adapter = redis(opened.client as never, {
          namespaces: namesOf(ns),
          cache: CACHE,
          deadline: DEADLINE,
        })();
        const writer = writerFor({}, ns);
        await writer.setSession(session("q1", "u"));
        await untilCached(adapter, "q1");
        // The network path goes silent (nothing closes), and the session is revoked meanwhile.
        const stalledAt = performance.now();
        proxy.stall();
        await writer.deleteSession("q1");
        // Served from the cache (stale) at most HEARTBEAT_INTERVAL + HEARTBEAT_TIMEOUT after the
        // last confirmation, which came before the stall; then every read goes to Redis.
        const bound = HEARTBEAT_INTERVAL + HEARTBEAT_TIMEOUT;
        let staleUntil = stalledAt;
        for (;;) {
          const startedAt = performance.now();
          const got = await adapter.getSession("q1").catch(() => "failed" as const);
          if (got === null || got === "failed") break;
          staleUntil = startedAt;
          assert.ok(
            startedAt - stalledAt <= bound + REVOCATION_MS,
            `a stale session served ${Math.round(startedAt - stalledAt)} ms into the stall`,
          );
          await sleep(POLL_MS);
        }
        assert.ok(staleUntil - stalledAt <= bound + REVOCATION_MS);
        proxy.resume();
        const seen = await pollUntil(async () => {
          const got = await adapter.getSession("q1").catch(() => "failed" as const);
          if (got !== null && got !== "failed") assert.fail("a stale session after the stall");
          return got === null;
        }, Math.ceil(5_000 / DEADLINE));
        assert.notEqual(seen, undefined, "the revocation never read after the stall");
      } finally {
        proxy.resume();
        await opened.close().catch(() => {});
        await proxy.close();
      }
    });
  }
});
