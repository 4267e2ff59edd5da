/**
 * The contract suite's "the user index" group.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { keysUnder, sleep } from "../harness.ts";
import { type ContractContext, type Fixture, HOUR, session } from "./fixture.ts";

/** Defines the group for one client; contractSuite() in tests/contract.ts calls it. */
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

    it("the index is a sorted set scored by idle_expires that expires with the last session", async () => {
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
      await adapter.deleteSession("s2");
      const after = Number(await ctx.admin.sendCommand(["PEXPIRETIME", indexKey("u")]));
      assert.equal(after, s1.idle_expires);
    });

    it("expired ids are pruned from the index by the next write for that user", async () => {
      const { adapter, indexKey } = fixture();
      await adapter.setSession(session("old", "u", 100));
      await sleep(200);
      await adapter.setSession(session("new", "u"));
      assert.deepEqual(await ctx.admin.zRange(indexKey("u"), 0, -1), ["new"]);
    });

    it("ids whose session key vanished (evicted or deleted by hand) are pruned on read", async () => {
      const { adapter, indexKey, sessionKey } = fixture();
      await adapter.setSession(session("kept", "u"));
      await adapter.setSession(session("lost", "u", 2 * HOUR));
      await ctx.admin.del(sessionKey("lost"));
      assert.deepEqual((await adapter.getSessionsByUserId("u")).map((s) => s.id), ["kept"]);
      assert.deepEqual(await ctx.admin.zRange(indexKey("u"), 0, -1), ["kept"]);
      const expireTime = Number(await ctx.admin.sendCommand(["PEXPIRETIME", indexKey("u")]));
      assert.equal(expireTime, (await adapter.getSession("kept"))?.idle_expires);
    });

    it("once every session has expired, no key of the adapter remains in Redis", async () => {
      const { adapter, ns } = fixture();
      for (let i = 0; i < 5; i++) await adapter.setSession(session(`s${i}`, `u${i % 2}`, 150));
      assert.equal((await keysUnder(ctx.admin, ns.root)).length, 7);
      await sleep(300);
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });
  });
}
