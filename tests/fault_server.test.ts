/**
 * Server settings that break the adapter's promises or restrict it: eviction policies, a full
 * memory under `noeviction`, a read-only replica, ACL users with fewer rights, an Upstash URL
 * where nothing listens. The adapter warns where it cannot keep a promise, fails cleanly (a
 * named error, nothing half-written) where it may not write, and works where it can.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis as Upstash } from "@upstash/redis";
import { LuciaError } from "lucia-auth";
import redis, { RedisOperationError } from "../mod.ts";
import { evictionWarning } from "../src/store/eviction_check.ts";
import { type Admin, freshNamespaces, keysUnder, session, useRedis } from "./helpers/harness.ts";
import { rawCommand, type RedisServer, startRedisServer } from "../scripts/redis/server.ts";
import { changesNothing, checkInvariants, START_BUDGET_MS, waitUntil } from "./faults/harness.ts";
import { FAULT_CLIENTS, type FaultClient } from "./faults/clients.ts";

/**
 * Runs `work` with console.warn captured; returns what was warned. The eviction check runs beside
 * the first operation, not awaited by it: its INFO goes first on the client's connection, so once
 * `after` (one more call over the same client) has its reply, and the microtasks queued before
 * have run, the check is done. No wall clock.
 */
async function warnings(
  work: () => Promise<unknown>,
  after: () => Promise<unknown>,
): Promise<string[]> {
  const seen: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void seen.push(args.map(String).join(" "));
  try {
    await work();
    await after();
    await new Promise((resolve) => setTimeout(resolve, 0));
  } finally {
    console.warn = original;
  }
  return seen;
}

/**
 * How long a new replica may take to sync with its primary (a near-empty dataset, with
 * `repl-diskless-sync-delay 0`), or to receive a few writes: as long as a server may take to
 * start again (START_BUDGET_MS).
 */
const REPLICA_SYNC_BUDGET_MS = START_BUDGET_MS;

function withUser(url: string, user: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = "pw";
  return u.toString();
}

describe("What INFO says of eviction", () => {
  it("warns for every policy that can evict keys when a memory limit is set, naming the policy", () => {
    for (const policy of ["allkeys-lru", "volatile-lru", "volatile-ttl", "allkeys-random"]) {
      const warning = evictionWarning(`maxmemory:2097152\r\nmaxmemory_policy:${policy}\r\n`);
      assert.match(String(warning), new RegExp(`maxmemory-policy is "${policy}"`));
      assert.match(String(warning), /Set maxmemory-policy to "noeviction"/);
    }
    assert.equal(
      evictionWarning("maxmemory:2097152\r\nmaxmemory_policy:noeviction\r\n"),
      undefined,
    );
    assert.equal(evictionWarning("maxmemory:0\r\nmaxmemory_policy:allkeys-lru\r\n"), undefined);
    assert.equal(evictionWarning("ERR unknown section"), undefined);
  });
});

for (const kind of FAULT_CLIENTS) {
  describe(`Server settings, over ${kind.name}`, { skip: kind.skip }, () => {
    const ctx = useRedis();
    const opened: FaultClient[] = [];
    after(async () => {
      for (const o of opened) await o.close();
    });
    const adapterOn = async (url: string, options: object = {}, ns = freshNamespaces()) => {
      const o = await kind.open(url);
      opened.push(o);
      return {
        ns,
        adapter: redis(o.client as Parameters<typeof redis>[0], {
          namespaces: { session: ns.session, userSession: ns.userSession },
          ...options,
        })(LuciaError),
      };
    };

    describe("eviction", () => {
      let server: RedisServer;
      let admin: Admin;
      before(async () => {
        server = await startRedisServer({
          env: "",
          extraArgs: ["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"],
        });
        admin = (await import("redis4")).createClient({ url: server.url });
        await admin.connect();
      });
      after(async () => {
        await admin.quit();
        await server.stop();
      });

      it("a server that may evict keys gets one warning per client, naming its policy", async () => {
        const { adapter } = await adapterOn(server.url);
        const seen = await warnings(async () => {
          await adapter.setSession(session("a", "u"));
          await adapter.getSession("a");
        }, () => adapter.getSession("after"));
        assert.equal(seen.length, 1, seen.join("\n"));
        assert.match(seen[0], /maxmemory-policy is "allkeys-lru" with maxmemory 2097152 bytes/);
        assert.match(seen[0], /signing that user out everywhere would then miss live sessions/);
      });

      it("under noeviction, a write that finds memory full fails whole with OOM, and the rest still works", async () => {
        await admin.configSet("maxmemory-policy", "noeviction");
        const { adapter, ns } = await adapterOn(server.url, { evictionWarning: false });
        const seen = await warnings(() => adapter.getSession("x"), () => adapter.getSession("y"));
        assert.deepEqual(seen, []);
        let stored = 0, refused: unknown;
        for (let i = 0; refused === undefined && i < 100_000; i++) {
          try {
            await adapter.setSession({
              ...session(`oom-${i}`, `u${i % 50}`),
              pad: "x".repeat(500),
            });
            stored++;
          } catch (error) {
            refused = error;
          }
        }
        assert.ok(refused instanceof RedisOperationError, String(refused));
        assert.match(String((refused.cause as Error).message), /OOM/);
        await checkInvariants(admin, ns);
        assert.ok(stored > 0);
        assert.notEqual(await adapter.getSession("oom-0"), null);
        await adapter.deleteSessionsByUserId("u0"); // Deleting needs no memory.
        assert.equal(await adapter.getSession("oom-0"), null);
        await admin.flushAll();
      });
    });

    describe("a read-only replica", () => {
      let replica: RedisServer;
      before(async () => {
        // Redis 7 holds a replica's first sync back 5 s by default, waiting for more replicas.
        await ctx.admin.configSet("repl-diskless-sync-delay", "0");
        replica = await startRedisServer({
          env: "",
          extraArgs: ["--replicaof", ctx.server.host, String(ctx.server.port)],
        });
        await waitUntil(
          async () =>
            (await rawCommand(replica.host, replica.port, "INFO replication"))
              .includes("master_link_status:up"),
          REPLICA_SYNC_BUDGET_MS,
          "the replica's link to its primary is up",
        );
      });
      after(() => replica.stop());

      it("reads work on the replica; writes fail with READONLY, named, and write nothing", async () => {
        const { adapter: primary, ns } = await adapterOn(ctx.server.url);
        await primary.setSession(session("s1", "u"));
        await primary.setSession(session("s2", "u"));
        const { adapter: replicaAdapter } = await adapterOn(replica.url, {}, ns);
        await waitUntil(
          async () => (await replicaAdapter.getSession("s2")) !== null,
          REPLICA_SYNC_BUDGET_MS,
          "the replica has the primary's sessions",
        );
        assert.equal((await replicaAdapter.getSession("s1"))?.user_id, "u");
        assert.equal((await replicaAdapter.getSessionsByUserId("u")).length, 2);
        for (
          const [operation, work] of [
            ["setSession", () => replicaAdapter.setSession(session("s3", "u"))],
            ["deleteSession", () => replicaAdapter.deleteSession("s1")],
            ["deleteSessionsByUserId", () => replicaAdapter.deleteSessionsByUserId("u")],
          ] as const
        ) {
          await changesNothing(
            ctx.admin,
            ns.root,
            () =>
              assert.rejects(work(), (error: unknown) => {
                assert.ok(error instanceof RedisOperationError, String(error));
                assert.equal(error.operation, operation);
                assert.match(String((error.cause as Error).message), /READONLY/);
                return true;
              }),
          );
        }
      });
    });

    describe("ACL users", () => {
      const user = (name: string, ...rules: string[]) =>
        ctx.admin.sendCommand(["ACL", "SETUSER", name, "reset", "on", ">pw", ...rules]);

      it("a user denied EVALSHA but allowed EVAL gets every call to work, not only the first", async () => {
        await user("noevalsha", "~*", "+@all", "-evalsha");
        const { adapter } = await adapterOn(withUser(ctx.server.url, "noevalsha"));
        for (let i = 0; i < 3; i++) {
          await adapter.setSession(session(`e${i}`, "u"));
          assert.equal((await adapter.getSessionsByUserId("u")).length, i + 1);
        }
        await adapter.deleteSession("e0");
        await adapter.deleteSession("e1");
        await adapter.deleteSessionsByUserId("u");
        assert.deepEqual(await adapter.getSessionsByUserId("u"), []);
      });

      it("a user limited to the adapter's keys (SORT … GET denied) lists sessions through the script", async () => {
        const { adapter, ns } = await adapterOn(ctx.server.url);
        await user("scoped", `~${ns.root}:*`, "+@all", "-info");
        const { adapter: adapterScoped } = await adapterOn(
          withUser(ctx.server.url, "scoped"),
          {},
          ns,
        );
        const seen = await warnings(async () => {
          await adapterScoped.setSession(session("a", "u"));
          await adapterScoped.setSession(session("b", "u"));
          assert.deepEqual((await adapterScoped.getSessionsByUserId("u")).map((s) => s.id), [
            "a",
            "b",
          ]);
          assert.deepEqual((await adapter.getSessionsByUserId("u")).map((s) => s.id), ["a", "b"]);
        }, () => Promise.all([adapterScoped.getSession("after"), adapter.getSession("after")]));
        assert.deepEqual(seen, [], "a refused INFO is not a warning");
        await adapterScoped.deleteSessionsByUserId("u");
        assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
      });

      it("a user allowed only session keys is refused every multi-key write, cleanly", async () => {
        const { adapter, ns } = await adapterOn(ctx.server.url);
        await adapter.setSession(session("s1", "u"));
        await adapter.setSession(session("s2", "u"));
        await user("sessionsonly", `~${ns.session}:*`, "+@all");
        const { adapter: adapterLimited } = await adapterOn(
          withUser(ctx.server.url, "sessionsonly"),
          {},
          ns,
        );
        assert.equal((await adapterLimited.getSession("s1"))?.id, "s1");
        for (
          const work of [
            () => adapterLimited.setSession(session("s3", "u")),
            () => adapterLimited.deleteSession("s1"),
            () => adapterLimited.deleteSession("s1", "s2"),
            () => adapterLimited.deleteSessionsByUserId("u"),
          ]
        ) {
          await changesNothing(
            ctx.admin,
            ns.root,
            () =>
              assert.rejects(work(), (error: unknown) => {
                assert.ok(error instanceof RedisOperationError, String(error));
                assert.match(
                  String((error.cause as Error).message),
                  /NOPERM|no permissions|can't access/,
                );
                return true;
              }),
          );
        }
      });
    });
  });
}

describe("Upstash with nothing listening", () => {
  it("rejects with a RedisOperationError naming the operation, the fetch error as its cause", async () => {
    const client = new Upstash({
      url: "http://127.0.0.1:1",
      token: "t",
      enableTelemetry: false,
      retry: false,
    });
    const adapter = redis(client, { evictionWarning: false })();
    await assert.rejects(adapter.getSession("a".repeat(40)), (error: unknown) => {
      assert.ok(error instanceof RedisOperationError, String(error));
      assert.equal(error.operation, "getSession");
      assert.equal(error.key, "session:aaaaaa…");
      assert.ok(error.cause instanceof Error);
      assert.ok(!error.message.includes("a".repeat(40)));
      return true;
    });
  });
});
