/**
 * The contract suite's "storing and reading sessions" group.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { keysUnder, sleep } from "../helpers/harness.ts";
import { type ContractContext, type Fixture, HOUR, session, YEAR } from "./fixture.ts";

/** Defines the group for one client; contractSuite() in tests/contract/suite.ts calls it. */
export function storingAndReading(ctx: ContractContext, fixture: () => Fixture): void {
  describe("storing and reading sessions", () => {
    it("getSession returns null for an unknown id", async () => {
      const { adapter } = fixture();
      assert.equal(await adapter.getSession("no-such-session"), null);
    });

    it("setSession stores the session as JSON that getSession returns, extra fields included", async () => {
      const { adapter, sessionKey } = fixture();
      const s = session("s1", "u1", HOUR, { device: "phone", n: 3 });
      await adapter.setSession(s);
      assert.deepEqual(await adapter.getSession("s1"), s);
      assert.deepEqual(JSON.parse(String(await ctx.admin.get(sessionKey("s1")))), s);
    });

    it("bigint expiries are accepted, stored as numbers and returned as numbers", async () => {
      const { adapter, sessionKey } = fixture();
      const now = Date.now();
      await adapter.setSession({
        id: "big",
        user_id: "u",
        active_expires: BigInt(now + 1000),
        idle_expires: BigInt(now + HOUR),
      });
      const got = await adapter.getSession("big");
      assert.equal(got?.active_expires, now + 1000);
      assert.equal(got?.idle_expires, now + HOUR);
      assert.match(String(await ctx.admin.get(sessionKey("big"))), /"idle_expires":\d+}/);
    });

    it("the session key expires at idle_expires as an absolute time, not ~54 years later", async () => {
      const { adapter, sessionKey } = fixture();
      const s = session("ttl", "u", 2 * HOUR);
      await adapter.setSession(s);
      const expireTime = Number(await ctx.admin.sendCommand(["PEXPIRETIME", sessionKey("ttl")]));
      assert.equal(expireTime, s.idle_expires);
      const ttl = Number(await ctx.admin.pTTL(sessionKey("ttl")));
      assert.ok(ttl > 2 * HOUR - 60_000 && ttl <= 2 * HOUR, `PTTL was ${ttl}`);
      assert.ok(ttl < YEAR);
    });

    it("a session whose idle expiry has passed is gone", async () => {
      const { adapter } = fixture();
      // Long enough that a slow machine still reads it before it expires; the wait is derived
      // from its own idle expiry.
      const short = session("short", "u", 1000);
      await adapter.setSession(short);
      assert.notEqual(await adapter.getSession("short"), null);
      await sleep(Number(short.idle_expires) - Date.now() + 50);
      assert.equal(await adapter.getSession("short"), null);
      assert.deepEqual(await adapter.getSessionsByUserId("u"), []);
    });

    it("a session whose idle expiry is already past leaves nothing in Redis", async () => {
      const { adapter, ns } = fixture();
      const now = Date.now();
      await adapter.setSession({
        id: "past",
        user_id: "u",
        active_expires: now - 2000,
        idle_expires: now - 1000,
      });
      assert.equal(await adapter.getSession("past"), null);
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });

    it("getSessionsByUserId leaves out a session whose user_id is another user's", async () => {
      const { adapter, indexKey } = fixture();
      await adapter.setSession(session("mine", "alice"));
      await adapter.setSession(session("theirs", "bob"));
      // A stale entry pointing at another user's session, as if an id had been reused.
      await ctx.admin.zAdd(indexKey("alice"), { score: Date.now() + HOUR, value: "theirs" });
      assert.deepEqual((await adapter.getSessionsByUserId("alice")).map((s) => s.id), ["mine"]);
    });
  });
}
