/**
 * The Lucia v2 entry with the real `lucia` 2.7 (its session flows: create, validate, renew an
 * idle session through updateSession, update attributes, invalidate, sign out everywhere, delete
 * dead sessions), with data written by the real `@lucia-auth/adapter-session-redis` 2.1.2, and
 * with sessions written by this package's Lucia v1 entry (an app moving from lucia-auth 1.x to
 * lucia 2.x on the same Redis).
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { lucia } from "lucia";
import { redis as redis212 } from "adapter-session-redis-v2";
import { LuciaError as LuciaErrorV1 } from "lucia-auth";
import redisV1 from "../mod.ts";
import redis, { type LuciaV2SessionAdapterFunction } from "../v2.ts";
import { freshNamespaces, keysUnder, sleep, useRedis } from "./helpers/harness.ts";
import { checkInvariants } from "./faults/harness.ts";
import { memoryUserAdapterV2 } from "./v2/memory_user_adapter.ts";

const HOUR = 60 * 60 * 1000;

describe("The Lucia v2 adapter with lucia 2.7", () => {
  const ctx = useRedis();
  // deno-lint-ignore no-explicit-any
  type Auth = any; // lucia's types need the app's global `Lucia` namespace; tests use none.
  let auth: Auth;
  let ns: ReturnType<typeof freshNamespaces>;
  let session: LuciaV2SessionAdapterFunction<{ country?: string }>;
  before(() => {
    ns = freshNamespaces();
    session = redis(ctx.admin, { session: ns.session, userSessions: ns.userSession });
    auth = lucia({
      adapter: { user: memoryUserAdapterV2() as never, session: session as never },
      env: "DEV",
      getSessionAttributes: (s: Record<string, unknown>) => ({ country: s.country }),
    } as never);
  });

  it("creates, validates, updates the attributes of, invalidates and signs out sessions", async () => {
    const user = await auth.createUser({ key: null, attributes: {} });
    const first = await auth.createSession({ userId: user.userId, attributes: { country: "FR" } });
    const second = await auth.createSession({ userId: user.userId, attributes: { country: "NL" } });
    assert.equal((await auth.validateSession(first.sessionId)).country, "FR");
    const updated = await auth.updateSessionAttributes(first.sessionId, { country: "DE" });
    assert.equal(updated.country, "DE");
    assert.equal((await session().getSession(first.sessionId))?.country, "DE");
    const all = await auth.getAllUserSessions(user.userId);
    assert.deepEqual(
      all.map((s: { sessionId: string }) => s.sessionId).sort(),
      [first.sessionId, second.sessionId].sort(),
    );
    await auth.invalidateSession(first.sessionId);
    await assert.rejects(auth.validateSession(first.sessionId), /AUTH_INVALID_SESSION_ID/);
    await auth.invalidateAllUserSessions(user.userId);
    await assert.rejects(auth.validateSession(second.sessionId), /AUTH_INVALID_SESSION_ID/);
    assert.deepEqual(await auth.getAllUserSessions(user.userId), []);
  });

  it("renews an idle session in place through updateSession: same id, new expiries in Redis", async () => {
    const user = await auth.createUser({ key: null, attributes: {} });
    const now = Date.now();
    const id = "i".repeat(40);
    await session().setSession({
      id,
      user_id: user.userId,
      active_expires: now - 1000, // Idle: the active period is over, the idle one is not.
      idle_expires: now + HOUR,
      country: "FR",
    });
    const renewed = await auth.validateSession(id);
    assert.equal(renewed.sessionId, id);
    assert.equal(renewed.fresh, true);
    const stored = await session().getSession(id);
    assert.ok(stored !== null && stored.active_expires > now && stored.idle_expires > now + HOUR);
    assert.equal(stored.country, "FR");
    const keyExpiry = Number(await ctx.admin.sendCommand(["PEXPIRETIME", `${ns.session}:${id}`]));
    assert.equal(keyExpiry, stored.idle_expires);
    await checkInvariants(ctx.admin, ns);
  });

  it("deleteDeadUserSessions deletes a dead session stored with a key that outlives it", async () => {
    const user = await auth.createUser({ key: null, attributes: {} });
    const now = Date.now();
    const dead = "d".repeat(40);
    await ctx.admin.set(
      `${ns.session}:${dead}`,
      JSON.stringify({
        id: dead,
        user_id: user.userId,
        active_expires: now - 2000,
        idle_expires: now - 1000,
      }),
      { PX: HOUR },
    );
    await ctx.admin.zAdd(`${ns.userSession}:${user.userId}`, { score: now + HOUR, value: dead });
    await auth.deleteDeadUserSessions(user.userId);
    await sleep(50); // lucia 2 does not await the deletes it starts.
    assert.equal(await ctx.admin.exists(`${ns.session}:${dead}`), 0);
  });
});

describe("Data written by @lucia-auth/adapter-session-redis 2.1.2", () => {
  const ctx = useRedis();

  it("is read, listed, renewed and signed out in place, and nothing is left once it expires", async () => {
    const ns = freshNamespaces();
    const prefixes = { session: ns.session, userSessions: ns.userSession };
    // deno-lint-ignore no-explicit-any
    const old = (redis212 as any)(ctx.admin, prefixes)();
    const ours = redis(ctx.admin, prefixes)();
    const now = Date.now();
    const make = (id: string, idle: number) => ({
      id,
      user_id: "u",
      active_expires: now + idle / 2,
      idle_expires: now + idle,
      country: "FR",
    });
    const a = make("a".repeat(40), HOUR), b = make("b".repeat(40), 2 * HOUR);
    await old.setSession(a);
    await old.setSession(b);
    assert.equal(await ctx.admin.type(`${ns.userSession}:u`), "set"); // 2.1.2's index.
    assert.deepEqual(await ours.getSession(a.id), a);
    assert.deepEqual(await ours.getSessionsByUserId("u"), [a, b]);
    // Renewal: the first write converts the index, and the session gets its exact expiry.
    await ours.updateSession(a.id, { active_expires: now + HOUR, idle_expires: now + 3 * HOUR });
    assert.equal(await ctx.admin.type(`${ns.userSession}:u`), "zset");
    const expiry = Number(await ctx.admin.sendCommand(["PEXPIRETIME", `${ns.session}:${a.id}`]));
    assert.equal(expiry, now + 3 * HOUR);
    await checkInvariants(ctx.admin, ns);
    await ours.deleteSessionsByUserId("u");
    assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    // Nothing retained after expiry: 2.1.2's index never expires; once ours, it does.
    await old.setSession(make("c".repeat(40), 200));
    await ours.setSession(make("d".repeat(40), 250));
    await sleep(400);
    assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
  });
});

describe("An app moving from lucia-auth 1.x to lucia 2.x on the same Redis", () => {
  const ctx = useRedis();

  it("keeps its users signed in: a session written by the v1 entry is valid through the v2 entry", async () => {
    const ns = freshNamespaces();
    const v1 = redisV1(ctx.admin, {
      namespaces: { session: ns.session, userSession: ns.userSession },
    })(LuciaErrorV1);
    const users = memoryUserAdapterV2();
    const auth = lucia({
      adapter: {
        user: users as never,
        session: redis(ctx.admin, { session: ns.session, userSessions: ns.userSession }) as never,
      },
      env: "DEV",
    } as never);
    const user = await auth.createUser({ key: null, attributes: {} });
    const now = Date.now();
    const id = "v".repeat(40);
    await v1.setSession({
      id,
      user_id: user.userId,
      active_expires: now + HOUR,
      idle_expires: now + 2 * HOUR,
    });
    assert.equal((await auth.validateSession(id)).sessionId, id);
    assert.equal((await auth.getAllUserSessions(user.userId)).length, 1);
    await auth.invalidateAllUserSessions(user.userId);
    assert.equal(await v1.getSession(id), null);
  });
});
