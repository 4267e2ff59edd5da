/**
 * The contract suite's "deleting sessions" group.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { keysUnder, liveKeysUnder } from "../helpers/harness.ts";
import { type ContractContext, type Fixture, HOUR, long, session } from "./fixture.ts";

/** Defines the group for one client; contractSuite() in tests/contract/suite.ts calls it. */
export function deletingSessions(ctx: ContractContext, fixture: () => Fixture): void {
  describe("deleting sessions", () => {
    it("deleteSession removes the session and its id from the user's index", async () => {
      const { adapter, indexKey, sessionKey } = fixture();
      await adapter.setSession(session("gone", "u"));
      await adapter.setSession(session("stays", "u"));
      await adapter.deleteSession("gone");
      assert.equal(await ctx.admin.exists(sessionKey("gone")), 0);
      assert.deepEqual(await ctx.admin.zRange(indexKey("u"), 0, -1), ["stays"]);
    });

    it("deleteSession of a user's last session leaves no key behind", async () => {
      const { adapter, ns } = fixture();
      await adapter.setSession(session("only", "u"));
      await adapter.deleteSession("only");
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });

    it("deleteSession accepts several ids (as older Lucia 1.x passed them), or none", async () => {
      const { adapter, ns } = fixture();
      await adapter.setSession(session("x", "u1"));
      await adapter.setSession(session("y", "u2"));
      await adapter.setSession(session("z", "u2"));
      await adapter.deleteSession();
      await adapter.deleteSession("x", "y", "unknown");
      assert.deepEqual((await adapter.getSessionsByUserId("u2")).map((s) => s.id), ["z"]);
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), [
        `${ns.session}:z`,
        `${ns.userSession}:u2`,
      ]);
    });

    it("deleteSession of an unknown id resolves and changes nothing", async () => {
      const { adapter, ns } = fixture();
      await adapter.setSession(session("s", "u"));
      await adapter.deleteSession("unknown");
      assert.equal((await keysUnder(ctx.admin, ns.root)).length, 2);
    });

    it("deleteSessionsByUserId removes all of the user's sessions and the index, and no one else's", async () => {
      const { adapter, ns } = fixture();
      for (let i = 0; i < 10; i++) await adapter.setSession(session(`a${i}`, "alice"));
      await adapter.setSession(session("b", "bob"));
      await adapter.deleteSessionsByUserId("alice");
      assert.deepEqual(await adapter.getSessionsByUserId("alice"), []);
      assert.deepEqual(await liveKeysUnder(ctx.admin, ns.root), [
        `${ns.session}:b`,
        `${ns.userSession}:bob`,
      ]);
    });

    // On a cluster every session is its own command (another slot): 20,000 keeps the suite short.
    const count = ctx.cluster ? 20_000 : 100_000;
    it(
      `a user with ${
        count.toLocaleString("en")
      } sessions can list them all and be signed out everywhere`,
      long,
      async () => {
        const { adapter, ns, indexKey } = fixture();
        const idle = Date.now() + HOUR;
        // Seed in the documented model with a script, in batches (test fixture, not the adapter).
        const seed = `for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
        local id = 'sess' .. i
        redis.call('SET', ARGV[3] .. id, cjson.encode({id = id, user_id = 'many',
          active_expires = tonumber(ARGV[4]), idle_expires = tonumber(ARGV[4])}), 'PXAT', ARGV[4])
        redis.call('ZADD', KEYS[1], ARGV[4], id)
      end`;
        for (let start = 0; ctx.cluster && start < count; start += 1000) {
          // One script cannot write keys of several slots: a pipeline of single-key commands.
          await Promise.all(Array.from({ length: 1000 }, async (_, j) => {
            const id = `sess${start + j}`;
            const value = { id, user_id: "many", active_expires: idle, idle_expires: idle };
            await ctx.admin.set(`${ns.session}:${id}`, JSON.stringify(value), { PXAT: idle });
            await ctx.admin.zAdd(indexKey("many"), { score: idle, value: id });
          }));
        }
        for (let start = 0; !ctx.cluster && start < count; start += 20_000) {
          await ctx.admin.sendCommand([
            "EVAL",
            seed,
            "1",
            indexKey("many"),
            String(start),
            String(start + 19_999),
            `${ns.session}:`,
            String(idle),
          ]);
        }
        await adapter.setSession(session("one-more", "many"));
        const sessions = await adapter.getSessionsByUserId("many");
        assert.equal(sessions.length, count + 1);
        assert.equal(new Set(sessions.map((s) => s.id)).size, count + 1);
        await adapter.deleteSessionsByUserId("many");
        assert.deepEqual(await liveKeysUnder(ctx.admin, ns.root), []);
      },
    );
  });
}
