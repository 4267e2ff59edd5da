/**
 * The contract suite's "data left by the earlier adapters" group: index lists (1.x) and
 * sets (2.x), and their ~54-year TTLs.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { liveKeysUnder, session as legacySession } from "../helpers/harness.ts";
import { type ContractContext, type Fixture, HOUR, session } from "./fixture.ts";

/** Defines the group for one client; contractSuite() in tests/contract/suite.ts calls it. */
export function legacyData(ctx: ContractContext, fixture: () => Fixture): void {
  describe("data left by the earlier adapters", () => {
    const seedLegacy = async (
      f: Fixture,
      kind: "list" | "set",
      userId: string,
    ): Promise<ReturnType<typeof legacySession>[]> => {
      const live = [
        legacySession("live1", userId, HOUR),
        legacySession("live2", userId, 2 * HOUR),
      ];
      const dead = legacySession("dead", userId, -1000);
      // The earlier adapter's bug: the timestamp as a relative EX, so ~54 years.
      for (const s of [...live, dead]) {
        await ctx.admin.set(f.sessionKey(s.id), JSON.stringify(s), {
          EX: Math.floor(s.idle_expires),
        });
      }
      const ids = ["live1", "dead", "missing", "live2"];
      if (kind === "list") await ctx.admin.rPush(f.indexKey(userId), ids);
      else await ctx.admin.sAdd(f.indexKey(userId), ids);
      return live;
    };

    for (const kind of ["list", "set"] as const) {
      const era = kind === "list" ? "1.x" : "2.x";
      it(`an index ${kind} left by the ${era} adapter is read in place, then converted by the first write, keeping live sessions`, async () => {
        const f = fixture();
        const live = await seedLegacy(f, kind, "old");
        // Read as it is (the dead session is still there, with the earlier adapter's TTL: Lucia
        // sees it is dead and deletes it).
        const read = await f.adapter.getSessionsByUserId("old");
        assert.deepEqual(read.filter((s) => s.id !== "dead"), live);
        assert.equal(await ctx.admin.type(f.indexKey("old")), kind);
        const fresh = session("fresh", "old", 3 * HOUR);
        await f.adapter.setSession(fresh);
        assert.equal(await ctx.admin.type(f.indexKey("old")), "zset");
        assert.deepEqual(await ctx.admin.zRange(f.indexKey("old"), 0, -1), [
          "live1",
          "live2",
          "fresh",
        ]);
        for (const s of live) {
          const expireTime = Number(
            await ctx.admin.sendCommand(["PEXPIRETIME", f.sessionKey(s.id)]),
          );
          assert.equal(expireTime, s.idle_expires, "the ~54-year TTL is corrected");
        }
        assert.equal(await ctx.admin.exists(f.sessionKey("dead")), 0);
        const indexExpiry = Number(
          await ctx.admin.sendCommand(["PEXPIRETIME", f.indexKey("old")]),
        );
        assert.equal(indexExpiry, fresh.idle_expires);
      });

      it(`setSession, deleteSession and deleteSessionsByUserId work on a ${era} index ${kind}`, async () => {
        const f = fixture();
        await seedLegacy(f, kind, "a");
        await f.adapter.setSession(session("fresh", "a", 1.5 * HOUR));
        assert.deepEqual(
          (await f.adapter.getSessionsByUserId("a")).map((s) => s.id),
          ["live1", "fresh", "live2"],
        );
        const g = fixture();
        await seedLegacy(g, kind, "b");
        await g.adapter.deleteSession("live1");
        assert.deepEqual(await ctx.admin.zRange(g.indexKey("b"), 0, -1), ["live2"]);
        const h = fixture();
        await seedLegacy(h, kind, "c");
        await h.adapter.deleteSessionsByUserId("c");
        assert.deepEqual(await liveKeysUnder(ctx.admin, h.ns.root), []);
      });
    }
  });
}
