/**
 * The contract suite's "with lucia-auth 1.8" group: the adapter under Lucia itself.
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import lucia from "lucia-auth";
import { memoryUserAdapter } from "../helpers/memory_user_adapter.ts";
import { type ContractContext, type Fixture, HOUR } from "./fixture.ts";

/** Defines the group for one client; contractSuite() in tests/contract/suite.ts calls it. */
export function withLuciaAuth(ctx: ContractContext, fixture: () => Fixture): void {
  describe("with lucia-auth 1.8", () => {
    const makeAuth = (autoDatabaseCleanup = true) => {
      return lucia({
        adapter: { user: memoryUserAdapter(), session: fixture().adapterFunction },
        env: "DEV",
        autoDatabaseCleanup,
        sessionExpiresIn: { activePeriod: 60_000, idlePeriod: 60_000 },
      });
    };

    it("createUser, createSession, validateSession, renewSession and getAllUserSessions work", async () => {
      const auth = makeAuth();
      const user = await auth.createUser({
        primaryKey: { providerId: "email", providerUserId: "a@example.com", password: "pw" },
        attributes: {},
      });
      const first = await auth.createSession(user.userId);
      const validated = await auth.validateSession(first.sessionId);
      assert.equal(validated.sessionId, first.sessionId);
      assert.equal(validated.userId, user.userId);
      const renewed = await auth.renewSession(first.sessionId);
      assert.notEqual(renewed.sessionId, first.sessionId);
      const all = await auth.getAllUserSessions(user.userId);
      assert.deepEqual(
        all.map((s) => s.sessionId).sort(),
        [first.sessionId, renewed.sessionId].sort(),
      );
    });

    it("invalidateSession signs one session out and invalidateAllUserSessions signs out everywhere", async () => {
      const auth = makeAuth();
      const user = await auth.createUser({ primaryKey: null, attributes: {} });
      const sessions = await Promise.all(
        Array.from({ length: 3 }, () => auth.createSession(user.userId)),
      );
      await auth.invalidateSession(sessions[0].sessionId);
      await assert.rejects(
        auth.validateSession(sessions[0].sessionId),
        /AUTH_INVALID_SESSION_ID/,
      );
      assert.equal((await auth.getAllUserSessions(user.userId)).length, 2);
      await auth.invalidateAllUserSessions(user.userId);
      for (const s of sessions) {
        await assert.rejects(auth.validateSession(s.sessionId), /AUTH_INVALID_SESSION_ID/);
      }
      assert.deepEqual(await auth.getAllUserSessions(user.userId), []);
    });

    it("an idle session is renewed by validateSession, and autoDatabaseCleanup deletes dead ones", async () => {
      const { adapterFunction, sessionKey } = fixture();
      const adapter = adapterFunction();
      const auth = lucia({
        adapter: { user: memoryUserAdapter(), session: adapterFunction },
        env: "DEV",
      });
      const user = await auth.createUser({ primaryKey: null, attributes: {} });
      const now = Date.now();
      // An idle session (active period over, idle period not) gets renewed.
      await adapter.setSession({
        id: "i".repeat(40),
        user_id: user.userId,
        active_expires: now - 1000,
        idle_expires: now + HOUR,
      });
      const renewed = await auth.validateSession("i".repeat(40));
      assert.notEqual(renewed.sessionId, "i".repeat(40));
      assert.equal(renewed.fresh, true);
      // A dead session stored with a future key expiry (e.g. written by hand) is cleaned up.
      await ctx.admin.set(
        sessionKey("d".repeat(40)),
        JSON.stringify({
          id: "d".repeat(40),
          user_id: user.userId,
          active_expires: now - 2000,
          idle_expires: now - 1000,
        }),
        { PX: HOUR },
      );
      await assert.rejects(auth.validateSession("d".repeat(40)), /AUTH_INVALID_SESSION_ID/);
      assert.equal(await ctx.admin.exists(sessionKey("d".repeat(40))), 0);
    });
  });
}
