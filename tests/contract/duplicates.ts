/**
 * The contract suite's "duplicate ids" group.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LuciaError } from "lucia-auth";
import { snapshot } from "../faults/harness.ts";
import { type ContractContext, type Fixture, HOUR, session } from "./fixture.ts";

/** Defines the group for one client; contractSuite() in tests/contract/suite.ts calls it. */
export function duplicateIds(ctx: ContractContext, fixture: () => Fixture): void {
  describe("duplicate ids", () => {
    it("setSession on an id in use rejects with AUTH_DUPLICATE_SESSION_ID and changes nothing", async () => {
      const { adapter, indexKey } = fixture();
      const first = session("dup", "alice");
      await adapter.setSession(first);
      await assert.rejects(
        adapter.setSession(session("dup", "mallory", 3 * HOUR)),
        (error: unknown) =>
          error instanceof LuciaError && error.message === "AUTH_DUPLICATE_SESSION_ID",
      );
      assert.deepEqual(await adapter.getSession("dup"), first);
      assert.equal(await ctx.admin.exists(indexKey("mallory")), 0);
      assert.deepEqual(await adapter.getSessionsByUserId("mallory"), []);
    });

    it("storing the very same session again (a retry after a lost reply) succeeds and changes nothing", async () => {
      const { adapter, ns } = fixture();
      const s = session("retry", "u");
      await adapter.setSession(s);
      const before = await snapshot(ctx.admin, ns.root);
      await adapter.setSession(s);
      await adapter.setSession({ ...s });
      assert.deepEqual(await snapshot(ctx.admin, ns.root), before);
      // The same id with any other content is a duplicate, for the same user too.
      for (
        const other of [{ ...s, device: "x" }, { ...s, idle_expires: Number(s.idle_expires) + 1 }]
      ) {
        await assert.rejects(
          adapter.setSession(other),
          (error: unknown) =>
            error instanceof LuciaError && error.message === "AUTH_DUPLICATE_SESSION_ID",
        );
      }
      const after = await snapshot(ctx.admin, ns.root);
      if (ctx.cluster) {
        // On a cluster the index's expiry moves first (the session may only be written once
        // its index outlives it), so a refused write may leave it later, never earlier.
        const index = `${ns.userSession}:u`;
        assert.ok(after.get(index)!.expireAt >= before.get(index)!.expireAt);
        after.set(index, { ...after.get(index)!, expireAt: before.get(index)!.expireAt });
      }
      assert.deepEqual(after, before);
    });

    it("20 concurrent inserts of one id give one winner, indexed under the winner's user only", async () => {
      const { adapter } = fixture();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => adapter.setSession(session("race", `user${i}`))),
      );
      const winners = results.flatMap((r, i) => r.status === "fulfilled" ? [i] : []);
      assert.equal(winners.length, 1);
      for (const r of results) {
        if (r.status === "rejected") {
          assert.ok(r.reason instanceof LuciaError);
          assert.equal(r.reason.message, "AUTH_DUPLICATE_SESSION_ID");
        }
      }
      const winner = `user${winners[0]}`;
      assert.equal((await adapter.getSession("race"))?.user_id, winner);
      for (let i = 0; i < 20; i++) {
        const ids = (await adapter.getSessionsByUserId(`user${i}`)).map((s) => s.id);
        assert.deepEqual(ids, `user${i}` === winner ? ["race"] : []);
      }
    });

    it("without a LuciaError from Lucia, a duplicate still rejects with lucia-auth's LuciaError", async () => {
      const adapter = fixture().adapterFunction();
      await adapter.setSession(session("dup", "u"));
      await assert.rejects(
        adapter.setSession(session("dup", "u", 2 * HOUR)),
        (error: unknown) =>
          error instanceof LuciaError && error.message === "AUTH_DUPLICATE_SESSION_ID",
      );
    });
  });
}
