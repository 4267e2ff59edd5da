/**
 * The contract suite's "the user index" group.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { keysUnder, liveKeysUnder, sleep } from "../helpers/harness.ts";
import { type ContractContext, type Fixture, HOUR, redisWith, session } from "./fixture.ts";

/** Defines the group for one client; contractSuite() in tests/contract/suite.ts calls it. */
export function userIndex(ctx: ContractContext, fixture: () => Fixture): void {
  describe("the user index", () => {
    it("getSessionsByUserId returns only that user's live sessions, by idle expiry", async () => {
      const { adapter } = fixture();
      const a2 = session("a2", "alice", 2 * HOUR);
      const a1 = session("a1", "alice", HOUR);
      await adapter.setSession(a2);
      await adapter.setSession(a1);
      await adapter.setSession(session("b1", "bob"));
      await adapter.setSession(session("a-dead", "alice", 100));
      await sleep(200);
      assert.deepEqual(await adapter.getSessionsByUserId("alice"), [a1, a2]);
      assert.deepEqual(await adapter.getSessionsByUserId("nobody"), []);
    });

    it("the index is a sorted set scored by idle_expires that expires no earlier than its longest-lived session", async () => {
      const { adapter, indexKey } = fixture();
      const s1 = session("s1", "u", HOUR);
      const s2 = session("s2", "u", 3 * HOUR);
      await adapter.setSession(s2);
      await adapter.setSession(s1);
      assert.equal(await ctx.admin.type(indexKey("u")), "zset");
      assert.equal(Number(await ctx.admin.zScore(indexKey("u"), "s1")), s1.idle_expires);
      assert.equal(Number(await ctx.admin.zScore(indexKey("u"), "s2")), s2.idle_expires);
      const expireTime = Number(await ctx.admin.sendCommand(["PEXPIRETIME", indexKey("u")]));
      assert.equal(expireTime, s2.idle_expires);
      // Deleting a session keeps the index's expiry (it still outlives every session it holds);
      // deleting the last one deletes the index.
      await adapter.deleteSession("s2");
      const after = Number(await ctx.admin.sendCommand(["PEXPIRETIME", indexKey("u")]));
      assert.ok(after >= s1.idle_expires);
      await adapter.deleteSession("s1");
      assert.equal(await ctx.admin.exists(indexKey("u")), 0);
    });

    it("an index left with no expiry (by hand or another tool) is given its longest-lived session's on the next write", async () => {
      const { adapter, indexKey } = fixture();
      const late = session("late", "u", 3 * HOUR);
      await adapter.setSession(late);
      await ctx.admin.sendCommand(["PERSIST", indexKey("u")]);
      await adapter.setSession(session("early", "u", HOUR));
      const expireTime = Number(await ctx.admin.sendCommand(["PEXPIRETIME", indexKey("u")]));
      assert.equal(expireTime, late.idle_expires);
    });

    it("expired ids are dropped from the index by about one write in eighteen (chosen by the new id's last two bytes)", async () => {
      const { adapter, indexKey, sessionKey } = fixture();
      await adapter.setSession(session("old", "u"));
      await adapter.setSession(session("keep", "u"));
      // "old" expires: its key goes and its score (its idle expiry) is in the past. Done by hand
      // rather than by waiting, so that a slow machine cannot expire it before it is written.
      await ctx.admin.del(sessionKey("old"));
      await ctx.admin.sendCommand(["ZADD", indexKey("u"), "XX", String(Date.now() - 1), "old"]);
      // "-" (0x2d) + "a" (0x61) = 0x8e, not a multiple of 16: this write leaves the index be.
      await adapter.setSession(session("new-a", "u", 2 * HOUR));
      assert.deepEqual(await ctx.admin.zRange(indexKey("u"), 0, -1), ["old", "keep", "new-a"]);
      // "0" (0x30) + "p" (0x70) = 0xa0 is: this one drops every expired id.
      await adapter.setSession(session("n0p", "u", 3 * HOUR));
      assert.deepEqual(await ctx.admin.zRange(indexKey("u"), 0, -1), ["keep", "new-a", "n0p"]);
    });

    it("ids whose session key vanished (evicted or deleted by hand) are left out of reads, and dropped by signing out", async () => {
      const { adapter, ns, sessionKey } = fixture();
      await adapter.setSession(session("kept", "u"));
      await adapter.setSession(session("lost", "u", 2 * HOUR));
      await ctx.admin.del(sessionKey("lost"));
      assert.deepEqual((await adapter.getSessionsByUserId("u")).map((s) => s.id), ["kept"]);
      await adapter.deleteSessionsByUserId("u");
      assert.deepEqual(await liveKeysUnder(ctx.admin, ns.root), []);
    });

    it("with maxSessionsPerUser, a new session signs the user's oldest sessions out beyond the cap", async () => {
      const { ns, sessionKey, indexKey } = fixture();
      const capped = redisWith(ctx, ns, { maxSessionsPerUser: 3 });
      for (let i = 1; i <= 5; i++) await capped.setSession(session(`s${i}`, "u", i * HOUR));
      await capped.setSession(session("other", "v"));
      assert.deepEqual((await capped.getSessionsByUserId("u")).map((s) => s.id), [
        "s3",
        "s4",
        "s5",
      ]);
      assert.equal(await ctx.admin.exists([sessionKey("s1"), sessionKey("s2")]), 0);
      assert.equal(await ctx.admin.zCard(indexKey("u")), 3);
      // A session that expires before the oldest still counts as the newest: never itself.
      await capped.setSession(session("soon", "u", HOUR / 2));
      assert.deepEqual((await capped.getSessionsByUserId("u")).map((s) => s.id), [
        "soon",
        "s4",
        "s5",
      ]);
      assert.equal((await capped.getSessionsByUserId("v")).length, 1);
    });

    it("once every session has expired, no key of the adapter remains in Redis", async () => {
      const { adapter, ns } = fixture();
      // Long enough that a slow machine still counts the keys before any expires; the wait
      // is derived from the sessions' own idle expiries.
      const sessions = Array.from({ length: 5 }, (_, i) => session(`s${i}`, `u${i % 2}`, 1000));
      for (const s of sessions) await adapter.setSession(s);
      assert.equal((await keysUnder(ctx.admin, ns.root)).length, 7);
      const last = Math.max(...sessions.map((s) => Number(s.idle_expires)));
      await sleep(last - Date.now() + 50);
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });
  });
}
