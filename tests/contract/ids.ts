/**
 * The contract suite's "ids are data, never patterns" group: odd ids round-trip, and
 * each operation is one command (two plain reads for getSessionsByUserId), never KEYS or SCAN.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { clientCommands, liveKeysUnder, recordCommands } from "../helpers/harness.ts";
import { type ContractContext, type Fixture, session } from "./fixture.ts";

/** Defines the group for one client; contractSuite() in tests/contract/suite.ts calls it. */
export function idsAreData(ctx: ContractContext, fixture: () => Fixture): void {
  describe("ids are data, never patterns", () => {
    const strange = [
      "a:b:c",
      "*",
      "?",
      "[a-z]",
      "{tag}",
      "line\nbreak\r\n",
      "üñíçødé 🔑 セッション",
      'quote"back\\slash',
      "x".repeat(2048),
    ];
    it("session and user ids with : * ? [ { newlines, unicode or 2 KB of text round-trip exactly", async () => {
      const { adapter, sessionKey, indexKey, ns } = fixture();
      for (const [i, id] of strange.entries()) {
        const userId = strange[(i + 1) % strange.length];
        const s = session(id, userId);
        await adapter.setSession(s);
        assert.deepEqual(await adapter.getSession(id), s);
        assert.equal(await ctx.admin.exists(sessionKey(id)), 1);
        assert.equal(Number(await ctx.admin.zScore(indexKey(userId), id)), s.idle_expires);
        assert.deepEqual(await adapter.getSessionsByUserId(userId), [s]);
      }
      // A glob-looking id must not match other keys.
      assert.equal(await adapter.getSession("s*"), null);
      await adapter.deleteSession(strange[0]);
      assert.equal(await adapter.getSession(strange[0]), null);
      await adapter.deleteSessionsByUserId(strange[2]);
      assert.equal(await adapter.getSession(strange[1]), null);
      assert.deepEqual(
        await adapter.getSession(strange[3]),
        await adapter.getSession(strange[3]),
      );
      for (const id of strange) await adapter.deleteSessionsByUserId(id);
      assert.deepEqual(await liveKeysUnder(ctx.admin, ns.root), []);
    });

    it(
      "no request path sends KEYS or SCAN, and each operation is one command (getSessionsByUserId: ZRANGE, then MGET)",
      {
        skip: ctx.cluster
          ? "a cluster takes several commands per operation: tests/cluster_faults.test.ts"
          : false,
      },
      async () => {
        const { adapter } = fixture();
        const all: string[] = [];
        let infos = 0;
        const once = async (name: string, fn: () => Promise<unknown>, expected = ["1"]) => {
          // Twice: the first run loads the script (EVAL), later runs use EVALSHA.
          for (let round = 0; round < 2; round++) {
            const seen = await recordCommands(ctx.monitor, fn);
            all.push(...seen.map((c) => c.name));
            // Beside its first operation, a client is also asked its eviction policy, once.
            const sent = clientCommands(seen).filter((c) => c !== "INFO" || infos++ > 0);
            if (expected[0] === "1") assert.equal(sent.length, 1, `${name}: ${sent}`);
            else assert.deepEqual(sent, expected, name);
          }
        };
        let n = 0;
        await once("setSession", () => adapter.setSession(session(`s${n++}`, "u")));
        await once("getSession", () => adapter.getSession("s0"));
        for (const perUser of [1, 10, 100]) {
          const user = `user-with-${perUser}`;
          for (let i = 0; i < perUser; i++) await adapter.setSession(session(`${user}-${i}`, user));
          await once(
            `getSessionsByUserId(${perUser})`,
            () => adapter.getSessionsByUserId(user),
            ["ZRANGE", "MGET"],
          );
        }
        await once("deleteSession", () => adapter.deleteSession("s0"));
        await once("deleteSession(several)", () => adapter.deleteSession("s1", "s2", "s3"));
        await once("deleteSessionsByUserId", () => adapter.deleteSessionsByUserId("user-with-10"));
        assert.ok(!all.includes("KEYS") && !all.includes("SCAN"), all.join(" "));
      },
    );
  });
}
