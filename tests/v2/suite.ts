/**
 * The Lucia v2 entry's suite, run over a client like the contract suite: @lucia-auth/adapter-test's
 * own suite for Lucia v2 session adapters, then what it does not test (duplicate ids, the atomic
 * updateSession), against the adapter's real key layout.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Database, testSessionAdapter } from "@lucia-auth/adapter-test";
import redis, {
  DuplicateSessionIdError,
  type LuciaV2Session,
  type LuciaV2SessionAdapter,
} from "../../v2.ts";
import { adapterNamespaces, freshKeyspace } from "../contract/fixture.ts";
import { type Admin, HOUR, keysUnder, liveKeysUnder, session } from "../helpers/harness.ts";
import { snapshot } from "../faults/harness.ts";

/** What the suite needs: the inspection client, and the client under test. */
export interface V2Context {
  admin: Admin;
  client: unknown;
  cluster: boolean;
  /** The prefix the client itself puts before every key (ioredis's `keyPrefix`); none if unset. */
  keyPrefix?: string;
}

/**
 * adapter-test's `Database` helper, over the adapter's real layout under `ns`: a session is a JSON
 * string at `<session>:<id>` expiring at its idle expiry, and its id is in the sorted set
 * `<userSessions>:<userId>` scored by that expiry. Tombstones (what signing out leaves on a
 * cluster) are no sessions.
 */
export function layoutDatabase(
  admin: Admin,
  ns: { root: string; session: string; userSession: string },
) {
  const sessionKeys = async () =>
    (await liveKeysUnder(admin, ns.root)).filter((key) => key.startsWith(`${ns.session}:`));
  return new Database({
    session: {
      get: async () =>
        (await Promise.all((await sessionKeys()).map((key) => admin.get(key))))
          .filter((value): value is string => typeof value === "string" && value !== "")
          .map((value) => JSON.parse(value)),
      insert: async (s: LuciaV2Session) => {
        const at = Math.ceil(s.idle_expires);
        await admin.set(`${ns.session}:${s.id}`, JSON.stringify(s), { PXAT: at });
        const index = `${ns.userSession}:${s.user_id}`;
        await admin.zAdd(index, { score: at, value: s.id });
        await admin.sendCommand(["PEXPIREAT", index, String(at), "GT"]);
        await admin.sendCommand(["PEXPIREAT", index, String(at), "NX"]);
      },
      clear: async () => {
        for (const key of await keysUnder(admin, ns.root)) await admin.del(key);
      },
    },
  });
}

/** Defines the v2 entry's suite over the context's client. */
export function v2Groups(ctx: V2Context): void {
  const fixture = () => {
    const ns = freshKeyspace(ctx.keyPrefix);
    const names = adapterNamespaces(ns, ctx.keyPrefix);
    const adapter: LuciaV2SessionAdapter = redis(ctx.client as Parameters<typeof redis>[0], {
      session: names.session,
      userSessions: names.userSession,
    })();
    return {
      ns,
      adapter,
      sessionKey: (id: string) => `${ns.session}:${id}`,
      indexKey: (u: string) => `${ns.userSession}:${u}`,
    };
  };

  it("passes @lucia-auth/adapter-test's testSessionAdapter, over the adapter's own layout", async () => {
    const { ns, adapter } = fixture();
    await testSessionAdapter(adapter as never, layoutDatabase(ctx.admin, ns));
  });

  describe("duplicate ids", () => {
    it("setSession on an id in use rejects with DuplicateSessionIdError and changes nothing", async () => {
      const { ns, adapter } = fixture();
      const first = session("dup".padEnd(40, "x"), "alice");
      await adapter.setSession(first);
      const before = await snapshot(ctx.admin, ns.root);
      await assert.rejects(adapter.setSession(session(first.id, "mallory")), (error: unknown) => {
        assert.ok(error instanceof DuplicateSessionIdError);
        assert.match(error.message, /its id is taken by another session/);
        assert.ok(!error.message.includes(first.id), "never the whole id");
        return true;
      });
      const after = await snapshot(ctx.admin, ns.root);
      if (ctx.cluster) {
        for (const [key, state] of after) {
          if (state.type === "zset") {
            after.set(key, { ...state, expireAt: before.get(key)?.expireAt ?? state.expireAt });
          }
        }
      }
      assert.deepEqual(after, before);
      await adapter.setSession(first); // The very same session again: a safe retry.
      assert.deepEqual(await adapter.getSessionsByUserId("mallory"), []);
    });
  });

  describe("updateSession", () => {
    it("merges the fields given, keeps the others, and moves the key's expiry and the index score with idle_expires", async () => {
      const { adapter, sessionKey, indexKey } = fixture();
      const s = session("upd", "u", HOUR, { country: "FR", device: "phone" });
      await adapter.setSession(s);
      await adapter.updateSession("upd", { country: "DE" });
      assert.deepEqual(await adapter.getSession("upd"), { ...s, country: "DE" });
      for (const idle of [Number(s.idle_expires) + HOUR, Number(s.idle_expires) - HOUR / 2]) {
        await adapter.updateSession("upd", { active_expires: idle - HOUR / 4, idle_expires: idle });
        assert.equal((await adapter.getSession("upd"))?.idle_expires, idle);
        assert.equal(Number(await ctx.admin.sendCommand(["PEXPIRETIME", sessionKey("upd")])), idle);
        assert.equal(Number(await ctx.admin.zScore(indexKey("u"), "upd")), idle);
        const indexAt = Number(await ctx.admin.sendCommand(["PEXPIRETIME", indexKey("u")]));
        assert.ok(indexAt >= idle, "the index outlives the session");
      }
    });

    it("does nothing for a session that does not exist", async () => {
      const { ns, adapter } = fixture();
      await adapter.updateSession("nope", { country: "DE" });
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });

    it("loses no field to concurrent updates", async () => {
      const { adapter } = fixture();
      await adapter.setSession(session("many", "u"));
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => adapter.updateSession("many", { [`f${i}`]: i })),
      );
      const got = await adapter.getSession("many");
      for (let i = 0; i < 20; i++) assert.equal(got?.[`f${i}`], i, `f${i}`);
    });

    it("never brings back a session deleted while it ran", async () => {
      const { adapter } = fixture();
      for (let round = 0; round < 20; round++) {
        const id = `race${round}`;
        await adapter.setSession(session(id, "u"));
        await Promise.all([
          adapter.updateSession(id, { country: "DE" }),
          adapter.deleteSession(id),
        ]);
        assert.equal(await adapter.getSession(id), null, `round ${round}`);
      }
      assert.deepEqual(await adapter.getSessionsByUserId("u"), []);
    });

    it("refuses to change the id or the user_id, and writes nothing then", async () => {
      const { adapter } = fixture();
      await adapter.setSession(session("fixed", "u"));
      await assert.rejects(adapter.updateSession("fixed", { id: "other" }), /its id cannot change/);
      await assert.rejects(
        adapter.updateSession("fixed", { user_id: "v" }),
        /its user_id cannot change/,
      );
      await assert.rejects(adapter.updateSession("fixed", null as never), TypeError);
      assert.equal((await adapter.getSession("fixed"))?.user_id, "u");
    });
  });
}
