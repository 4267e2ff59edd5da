/**
 * Faults in the data: a key of the wrong type at every key position of every operation, legacy
 * data with bad entries, a stale index entry whose id another user now holds. Every operation
 * either applies fully or changes nothing, and its error names the operation and the key.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { LuciaError } from "lucia-auth";
import redis, { RedisOperationError } from "../mod.ts";
import { freshNamespaces, HOUR, keysUnder, session, sleep, useRedis } from "./helpers/harness.ts";
import { changesNothing, checkInvariants, POLL_MS, waitUntil } from "./faults/harness.ts";
import { SLACK_MS } from "./faults/budget.ts";
import { FAULT_CLIENTS } from "./faults/clients.ts";

/** Asserts that `work` rejects with a RedisOperationError for `operation` on `key`. */
async function failsOn(work: Promise<unknown>, operation: string, key: string, cause: RegExp) {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof RedisOperationError, `expected a RedisOperationError: ${error}`);
    assert.equal(error.operation, operation);
    assert.equal(error.key, key);
    assert.match(String((error.cause as Error)?.message ?? error.cause), cause);
    assert.ok(error.message.startsWith(`${operation} failed on Redis key "${key}": `));
    return true;
  });
}

/** The idle lifetime of a session a test lets expire (ms). */
const SHORT_LIFE_MS = 150;

for (const kind of FAULT_CLIENTS) {
  describe(`Faults in the data, over ${kind.name}`, { skip: kind.skip }, () => {
    const ctx = useRedis();
    let client: unknown;
    before(async () => {
      const opened = await kind.open(ctx.server.url);
      client = opened.client;
      ctx.cleanups.push(() => opened.close());
    });
    const fixture = () => {
      const ns = freshNamespaces();
      const adapter = redis(client as Parameters<typeof redis>[0], {
        namespaces: { session: ns.session, userSession: ns.userSession },
      })(LuciaError);
      return {
        ns,
        adapter,
        sessionKey: (id: string) => `${ns.session}:${id}`,
        indexKey: (userId: string) => `${ns.userSession}:${userId}`,
      };
    };
    const WRONGTYPE = /^WRONGTYPE/;

    describe("a key of another type, at every key position", () => {
      it("getSession: a hash at the session key fails naming the key, its id shortened", async () => {
        const f = fixture();
        const id = "k".repeat(40);
        await ctx.admin.hSet(f.sessionKey(id), "f", "v");
        await changesNothing(
          ctx.admin,
          f.ns.root,
          () =>
            failsOn(f.adapter.getSession(id), "getSession", `${f.ns.session}:kkkkkk…`, WRONGTYPE),
        );
      });

      it("getSessionsByUserId: a hash at the index fails naming it; a hash at a session key is skipped", async () => {
        const f = fixture();
        await ctx.admin.hSet(f.indexKey("hashed"), "f", "v");
        await changesNothing(ctx.admin, f.ns.root, () =>
          failsOn(
            f.adapter.getSessionsByUserId("hashed"),
            "getSessionsByUserId",
            f.indexKey("hashed"),
            WRONGTYPE,
          ));
        await f.adapter.setSession(session("good", "u"));
        await ctx.admin.zAdd(f.indexKey("u"), { score: Date.now() + HOUR, value: "hk" });
        await ctx.admin.hSet(f.sessionKey("hk"), "f", "v");
        assert.deepEqual((await f.adapter.getSessionsByUserId("u")).map((s) => s.id), ["good"]);
      });

      it("setSession: a hash or a string at the index changes nothing, and names the index", async () => {
        for (const seed of ["hash", "string"]) {
          const f = fixture();
          if (seed === "hash") await ctx.admin.hSet(f.indexKey("u"), "f", "v");
          else await ctx.admin.set(f.indexKey("u"), "not an index", { PX: HOUR });
          await changesNothing(ctx.admin, f.ns.root, () =>
            failsOn(
              f.adapter.setSession(session("s".repeat(40), "u")),
              "setSession",
              f.indexKey("u"),
              WRONGTYPE,
            ));
        }
      });

      it("setSession: a hash under the id changes nothing, and names the session key", async () => {
        const f = fixture();
        const id = "h".repeat(40);
        await f.adapter.setSession(session("other", "u"));
        await ctx.admin.hSet(f.sessionKey(id), "f", "v");
        await changesNothing(ctx.admin, f.ns.root, () =>
          failsOn(
            f.adapter.setSession(session(id, "u")),
            "setSession",
            `${f.ns.session}:hhhhhh…`,
            WRONGTYPE,
          ));
      });

      it("deleteSession of several ids, one of them a hash, deletes none of them", async () => {
        const f = fixture();
        await f.adapter.setSession(session("good1", "u"));
        await f.adapter.setSession(session("good2", "u"));
        await ctx.admin.hSet(f.sessionKey("bad"), "f", "v");
        await changesNothing(ctx.admin, f.ns.root, () =>
          failsOn(
            f.adapter.deleteSession("good1", "bad", "good2"),
            "deleteSession",
            `${f.ns.session}:b…`,
            WRONGTYPE,
          ));
        assert.equal((await f.adapter.getSessionsByUserId("u")).length, 2);
      });

      it("deleteSession when the owner's index is a string deletes nothing", async () => {
        const f = fixture();
        await f.adapter.setSession(session("good1", "u"));
        await ctx.admin.del(f.indexKey("u"));
        await ctx.admin.set(f.indexKey("u"), "not an index", { PX: HOUR });
        await changesNothing(
          ctx.admin,
          f.ns.root,
          () =>
            failsOn(f.adapter.deleteSession("good1"), "deleteSession", f.indexKey("u"), WRONGTYPE),
        );
        // Several ids, two owners, one index broken: still nothing.
        await f.adapter.setSession(session("other", "v"));
        await changesNothing(ctx.admin, f.ns.root, () =>
          failsOn(
            f.adapter.deleteSession("other", "good1"),
            "deleteSession",
            f.indexKey("u"),
            WRONGTYPE,
          ));
      });

      it("deleteSessionsByUserId: a hash at the index changes nothing; a hash at a listed key is left alone", async () => {
        const f = fixture();
        await ctx.admin.hSet(f.indexKey("hashed"), "f", "v");
        await changesNothing(ctx.admin, f.ns.root, () =>
          failsOn(
            f.adapter.deleteSessionsByUserId("hashed"),
            "deleteSessionsByUserId",
            f.indexKey("hashed"),
            WRONGTYPE,
          ));
        await f.adapter.setSession(session("mine", "u"));
        await ctx.admin.zAdd(f.indexKey("u"), { score: Date.now() + HOUR, value: "hk" });
        await ctx.admin.hSet(f.sessionKey("hk"), "f", "v");
        await f.adapter.deleteSessionsByUserId("u");
        assert.deepEqual(await keysUnder(ctx.admin, f.ns.root), [
          f.sessionKey("hk"),
          f.indexKey("hashed"),
        ]);
      });
    });

    describe("signing out only ever deletes the user's own sessions", () => {
      it("a stale id in a user's index that another user now holds survives that user's sign-out", async () => {
        const f = fixture();
        const reused = session("reused", "alice", SHORT_LIFE_MS);
        await f.adapter.setSession(reused);
        await f.adapter.setSession(session("alice-live", "alice"));
        // Until "reused" has expired (its key's expiry is its idle expiry, on this machine's
        // clock); alice's index keeps a stale entry for it.
        await sleep(Math.max(0, Math.ceil(reused.idle_expires) - Date.now()));
        await waitUntil(
          async () => (await ctx.admin.exists(f.sessionKey("reused"))) === 0,
          2 * POLL_MS + SLACK_MS, // It expires 1 ms after the sleep: a look or two.
          "the short-lived session expired",
        );
        await f.adapter.setSession(session("reused", "bob"));
        assert.notEqual(await ctx.admin.zScore(f.indexKey("alice"), "reused"), null);
        await f.adapter.deleteSessionsByUserId("alice");
        assert.equal((await f.adapter.getSession("reused"))?.user_id, "bob");
        assert.deepEqual((await f.adapter.getSessionsByUserId("bob")).map((s) => s.id), [
          "reused",
        ]);
        assert.equal(await f.adapter.getSession("alice-live"), null);
        assert.equal(await ctx.admin.exists(f.indexKey("alice")), 0);
        await checkInvariants(ctx.admin, f.ns);
      });
    });

    describe("data left by the earlier adapters, with bad entries", () => {
      const legacy = async (f: ReturnType<typeof fixture>, ids: string[], kind: "list" | "set") => {
        if (kind === "list") await ctx.admin.rPush(f.indexKey("old"), ids);
        else await ctx.admin.sAdd(f.indexKey("old"), ids);
      };
      const seedSession = async (f: ReturnType<typeof fixture>, s: object, idleExpires: number) =>
        // The earlier adapters' bug: the timestamp as a relative EX, ~54 years.
        await ctx.admin.set(f.sessionKey((s as { id: string }).id), JSON.stringify(s), {
          EX: Math.floor(idleExpires),
        });

      for (const kind of ["list", "set"] as const) {
        it(`a ${kind} index listing a hash and a session expiring in 1e300 ms is converted whole by the next write, and signing out removes every session`, async () => {
          const f = fixture();
          const good1 = session("good1", "old");
          const good2 = session("good2", "old", 2 * HOUR);
          const far = { ...session("far", "old"), idle_expires: 1e300 };
          for (const s of [good1, good2]) await seedSession(f, s, s.idle_expires as number);
          await seedSession(f, far, Date.now());
          await ctx.admin.hSet(f.sessionKey("hk"), "f", "v");
          await legacy(f, ["good1", "hk", "far", "good2"], kind);
          // Read in place, nothing converted yet.
          assert.deepEqual(
            (await f.adapter.getSessionsByUserId("old")).map((s) => s.id),
            ["good1", "good2", "far"],
          );
          await f.adapter.setSession(session("fresh", "old", 1.5 * HOUR));
          assert.equal(await ctx.admin.type(f.indexKey("old")), "zset");
          assert.deepEqual(
            await ctx.admin.zRange(f.indexKey("old"), 0, -1),
            ["good1", "fresh", "good2", "far"],
          );
          for (const s of [good1, good2]) {
            const at = Number(await ctx.admin.sendCommand(["PEXPIRETIME", f.sessionKey(s.id)]));
            assert.equal(at, Math.ceil(s.idle_expires as number), "the ~54-year TTL is corrected");
          }
          await f.adapter.deleteSessionsByUserId("old");
          assert.deepEqual(await keysUnder(ctx.admin, f.ns.root), [f.sessionKey("hk")]);
        });
      }

      it("a conversion met by deleteSession and deleteSessionsByUserId is whole too", async () => {
        for (const op of ["deleteSession", "deleteSessionsByUserId"] as const) {
          const f = fixture();
          const good1 = session("good1", "old");
          const good2 = session("good2", "old", 2 * HOUR);
          for (const s of [good1, good2]) await seedSession(f, s, s.idle_expires as number);
          await ctx.admin.hSet(f.sessionKey("hk"), "f", "v");
          await legacy(f, ["good1", "hk", "good2"], "list");
          if (op === "deleteSession") {
            await f.adapter.deleteSession("good1");
            assert.deepEqual(await ctx.admin.zRange(f.indexKey("old"), 0, -1), ["good2"]);
          } else {
            await f.adapter.deleteSessionsByUserId("old");
            assert.deepEqual(await keysUnder(ctx.admin, f.ns.root), [f.sessionKey("hk")]);
          }
        }
      });
    });
  });
}
