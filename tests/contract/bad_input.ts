/**
 * The contract suite's "bad input and bad data" group.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { InvalidSessionDataError, RedisOperationError, type SessionSchema } from "../../mod.ts";
import { clientCommands, recordCommands } from "../helpers/harness.ts";
import { type ContractContext, type Fixture, HOUR, session } from "./fixture.ts";

/**
 * Runs `run`, expecting it to reject with `errorType` and a message matching `expected` before
 * any command reaches Redis.
 */
async function rejectsWithoutWriting(
  ctx: ContractContext,
  run: () => Promise<unknown>,
  expected: RegExp,
  errorType: new (...args: never[]) => Error = TypeError,
) {
  const seen = await recordCommands(ctx.monitor, async () => {
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof errorType, `expected ${errorType.name}, got ${String(error)}`);
      assert.match((error as Error).message, expected);
      return true;
    });
  });
  assert.deepEqual(clientCommands(seen), [], "no command may reach Redis");
}

/** Defines the group for one client; contractSuite() in tests/contract/suite.ts calls it. */
export function badInput(ctx: ContractContext, fixture: () => Fixture): void {
  describe("bad input and bad data", () => {
    it("setSession with a missing or empty id or user_id rejects with a TypeError before any Redis call", async () => {
      const { adapter } = fixture();
      const good = session("ok", "u");
      const bad: [unknown, RegExp][] = [
        [{ ...good, id: undefined }, /session's id: expected a string/],
        [{ ...good, id: "" }, /session's id: it is empty/],
        [{ ...good, user_id: "" }, /user_id .* it is empty/],
        [{ ...good, user_id: 42 }, /user_id .* expected a string/],
        [{ ...good, id: "\uD800" }, /lone UTF-16 surrogate/],
        [null, /expected an object/],
        // Inherited: JSON.stringify would leave it out of what is stored.
        [
          Object.assign(Object.create({ user_id: "u" }), {
            id: "ok",
            active_expires: good.active_expires,
            idle_expires: good.idle_expires,
          }),
          /user_id must be an own property/,
        ],
        [
          Object.assign(Object.create({ id: "x" }), {
            user_id: "u",
            active_expires: good.active_expires,
            idle_expires: good.idle_expires,
          }),
          /id must be an own property/,
        ],
      ];
      for (const [input, message] of bad) {
        await rejectsWithoutWriting(
          ctx,
          () => adapter.setSession(input as SessionSchema),
          message,
        );
      }
    });

    it("setSession with an expiry that is not a finite time a Date can hold rejects before any Redis call", async () => {
      const { adapter } = fixture();
      const good = session("ok", "u");
      for (const value of [NaN, Infinity, "1700000000000", undefined]) {
        await rejectsWithoutWriting(
          ctx,
          () => adapter.setSession({ ...good, idle_expires: value } as unknown as SessionSchema),
          /idle_expires must be a finite number or bigint/,
        );
      }
      await rejectsWithoutWriting(
        ctx,
        () => adapter.setSession({ ...good, active_expires: -Infinity }),
        /active_expires must be a finite number/,
      );
      for (const value of [0, -1, 1e21, 9.3e18, 1e300, 2n ** 70n, 8.64e15 + 1]) {
        await rejectsWithoutWriting(
          ctx,
          () => adapter.setSession({ ...good, idle_expires: value }),
          /idle_expires must be a time after the Unix epoch and no later than 8\.64e15 ms/,
          RangeError,
        );
      }
      await rejectsWithoutWriting(
        ctx,
        () => adapter.setSession({ ...good, extra: 1n }),
        /cannot be turned into JSON/,
      );
    });

    it("a stored value that is not JSON raises InvalidSessionDataError naming the key, with only the start of the id", async () => {
      const { adapter, sessionKey, ns } = fixture();
      const id = "b4d5e6".padEnd(40, "x");
      await adapter.setSession(session("fine", "u"));
      await ctx.admin.set(sessionKey(id), "{not json");
      await assert.rejects(adapter.getSession(id), (error: unknown) => {
        assert.ok(error instanceof InvalidSessionDataError);
        assert.equal(error.key, `${ns.session}:b4d5e6…`);
        assert.match(error.message, /"[^"]*:b4d5e6…": it is not valid JSON/);
        assert.ok(!error.message.includes(id) && !String(error.stack).includes(id));
        assert.ok(error.cause instanceof SyntaxError);
        return true;
      });
      await ctx.admin.set(sessionKey("half"), '{"id":"half"}');
      await assert.rejects(adapter.getSession("half"), /"user_id" is not a string/);
    });

    it("getSessionsByUserId raises InvalidSessionDataError naming the key of a corrupt session", async () => {
      const { adapter, sessionKey, ns } = fixture();
      await adapter.setSession(session("fine", "u"));
      await adapter.setSession(session("corrupt", "u", 2 * HOUR));
      await ctx.admin.set(sessionKey("corrupt"), "[1,2", { KEEPTTL: true });
      await assert.rejects(adapter.getSessionsByUserId("u"), (error: unknown) => {
        assert.ok(error instanceof InvalidSessionDataError);
        assert.equal(error.key, `${ns.session}:co…`);
        return true;
      });
      // Signing out still works on corrupt data.
      await adapter.deleteSession("corrupt");
      assert.deepEqual((await adapter.getSessionsByUserId("u")).map((s) => s.id), ["fine"]);
    });

    it("Redis errors such as WRONGTYPE are rethrown naming the operation and the key, and setSession writes nothing then", async () => {
      const { adapter, indexKey, sessionKey, ns } = fixture();
      const failsWith = (operation: string, key: string) => (error: unknown) => {
        assert.ok(error instanceof RedisOperationError, String(error));
        assert.equal(error.operation, operation);
        assert.equal(error.key, key);
        assert.match(error.message, new RegExp(`^${operation} failed on Redis key .*: WRONGTYPE`));
        assert.match(String((error.cause as Error).message), /WRONGTYPE/);
        return true;
      };
      await ctx.admin.hSet(indexKey("hashed"), "f", "v");
      await assert.rejects(
        adapter.getSessionsByUserId("hashed"),
        failsWith("getSessionsByUserId", indexKey("hashed")),
      );
      await assert.rejects(
        adapter.setSession(session("s", "hashed")),
        failsWith("setSession", indexKey("hashed")),
      );
      assert.equal(await ctx.admin.exists(sessionKey("s")), 0);
      await assert.rejects(
        adapter.deleteSessionsByUserId("hashed"),
        failsWith("deleteSessionsByUserId", indexKey("hashed")),
      );
      await ctx.admin.hSet(sessionKey("hhh"), "f", "v");
      await assert.rejects(adapter.getSession("hhh"), failsWith("getSession", `${ns.session}:h…`));
    });
  });
}
