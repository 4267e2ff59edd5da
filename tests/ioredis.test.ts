/**
 * The contract suite and the connection checks over ioredis 5 and 6 (`new Redis()` from npm
 * `ioredis`) and over ioredis 5 with a `keyPrefix`; where keys land when the client has one, and
 * that commands without keys (`TIME`, `INFO`) still go through.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { LuciaError } from "lucia-auth";
import redis from "../mod.ts";
import { toConnection } from "../src/clients/table.ts";
import * as commands from "../src/clients/commands.ts";
import { clientSuites } from "./helpers/client_suites.ts";
import { startRedisServer } from "../scripts/redis/server.ts";
import { freshNamespaces, HOUR, keysUnder, session, sleep, useRedis } from "./helpers/harness.ts";
import { IOREDIS, type IoRedis, setupsIn } from "./helpers/setups.ts";

clientSuites(setupsIn("ioredis"));

for (const { name, create } of IOREDIS) {
  describe(`With an ${name} client built with keyPrefix`, () => {
    const ctx = useRedis();
    const clients: IoRedis[] = [];
    // Typed as the adapter's client type: `create` returns the few members the tests use.
    const client = async (keyPrefix?: string) => {
      const c = await create(ctx.server.url, keyPrefix === undefined ? {} : { keyPrefix });
      clients.push(c);
      return c as IoRedis & Parameters<typeof redis>[0];
    };
    after(async () => {
      for (const c of clients) await c.quit();
    });

    let ns: ReturnType<typeof freshNamespaces>;
    let prefix: string;
    before(() => {
      ns = freshNamespaces();
      prefix = `${ns.root}:app:`;
    });

    it("keys land at keyPrefix + namespace + ':' + id, and nowhere else", async () => {
      const c = await client(prefix);
      const adapter = redis(c, { namespaces: { session: "s", userSession: "u" } })(LuciaError);
      // Twice each: the first run of a script is an EVAL, later runs are EVALSHA.
      const a = session("a", "alice");
      const b = session("b", "alice", 2 * HOUR);
      await adapter.setSession(a);
      await adapter.setSession(b);
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), [
        `${prefix}s:a`,
        `${prefix}s:b`,
        `${prefix}u:alice`,
      ]);
      assert.deepEqual(JSON.parse(String(await ctx.admin.get(`${prefix}s:a`))), a);
      assert.deepEqual(await ctx.admin.zRange(`${prefix}u:alice`, 0, -1), ["a", "b"]);
      assert.deepEqual(await adapter.getSession("a"), a);
      assert.deepEqual(await adapter.getSessionsByUserId("alice"), [a, b]);
      assert.deepEqual(await adapter.getSessionsByUserId("alice"), [a, b]);
      await adapter.deleteSession("a");
      await adapter.setSession(session("c", "alice"));
      await adapter.deleteSession("c");
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), [`${prefix}s:b`, `${prefix}u:alice`]);
      await adapter.deleteSessionsByUserId("alice");
      await adapter.setSession(session("d", "alice"));
      await adapter.deleteSessionsByUserId("alice");
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });

    it("is the same as no keyPrefix with the prefix written into the namespaces", async () => {
      const c = await client(prefix);
      const prefixed = redis(c, { namespaces: { session: "s", userSession: "u" } })();
      const spelledOut = redis(await client(), {
        namespaces: { session: `${prefix}s`, userSession: `${prefix}u` },
      })();
      const a = session("same", "bob");
      await prefixed.setSession(a);
      assert.deepEqual(await spelledOut.getSession("same"), a);
      assert.deepEqual(await spelledOut.getSessionsByUserId("bob"), [a]);
      const b = session("other", "bob", 2 * HOUR);
      await spelledOut.setSession(b);
      assert.deepEqual(await prefixed.getSessionsByUserId("bob"), [a, b]);
      await prefixed.deleteSessionsByUserId("bob");
      assert.equal(await spelledOut.getSession("other"), null);
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });

    it("the default namespaces land under the keyPrefix too", async () => {
      const adapter = redis(await client(prefix))();
      await adapter.setSession(session("x", "carol"));
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), [
        `${prefix}session:x`,
        `${prefix}userSession:carol`,
      ]);
      await adapter.deleteSessionsByUserId("carol");
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });

    it("TIME and INFO, which have no keys, go through its connection as they are", async () => {
      const connection = toConnection(await client(prefix));
      const time = await connection.send(commands.time());
      assert.ok(Array.isArray(time) && time.length === 2, JSON.stringify(time));
      assert.ok(Math.abs(Number(time[0]) * 1000 - Date.now()) < 60_000, JSON.stringify(time));
      assert.match(String(await connection.send(commands.info("memory"))), /maxmemory_policy:/);
    });

    it("a server that may evict keys gets the eviction warning (INFO, which has no key, goes through)", async () => {
      const evicting = await startRedisServer({
        env: "",
        extraArgs: ["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"],
      });
      const seen: string[] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => void seen.push(args.map(String).join(" "));
      try {
        const c = await create(evicting.url, { keyPrefix: prefix });
        try {
          const adapter = redis(c as IoRedis & Parameters<typeof redis>[0], {
            namespaces: { session: "s", userSession: "u" },
          })();
          await adapter.setSession(session("a", "erin"));
          assert.equal((await adapter.getSession("a"))?.id, "a");
          await sleep(100); // The check runs beside the first operation, not awaited by it.
        } finally {
          await c.quit();
        }
      } finally {
        console.warn = warn;
        await evicting.stop();
      }
      assert.equal(seen.length, 1, seen.join("\n"));
      assert.match(seen[0], /maxmemory-policy is "allkeys-lru" with maxmemory 2097152 bytes/);
    });

    it("changing the client's keyPrefix after creating the adapter is refused, not followed", async () => {
      const c = await client(prefix);
      const adapter = redis(c, { namespaces: { session: "s", userSession: "u" } })();
      c.options.keyPrefix = `${ns.root}:elsewhere:`;
      await assert.rejects(adapter.getSession("x"), /keyPrefix changed/);
      await assert.rejects(adapter.setSession(session("x", "dave")), /keyPrefix changed/);
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });
  });
}
