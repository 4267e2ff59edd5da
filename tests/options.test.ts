/**
 * Options: defaults, validation up front, and the keys they give.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis4";
import redis, { type RedisSessionAdapterOptions } from "../mod.ts";
import { shortId } from "../src/errors.ts";
import { useRedis } from "./harness.ts";

// Never connected: creating an adapter must not talk to Redis (node-redis would reject with
// "The client is closed" if it tried).
const idle = createClient();

function rejectsOptions(options: unknown, message: RegExp) {
  assert.throws(
    () => redis(idle, options as RedisSessionAdapterOptions),
    (error: unknown) => error instanceof TypeError && message.test(error.message),
  );
}

describe("Options", () => {
  it("an unknown option, such as the doc's typo namesspaces, is a TypeError naming it", () => {
    rejectsOptions({ namesspaces: { session: "s" } }, /unknown option "namesspaces"/);
    rejectsOptions({ namespaces: { sessions: "s" } }, /unknown option "namespaces.sessions"/);
    rejectsOptions({ namespaces: { user: "u" } }, /known: "namespaces.session"/);
  });

  it("options and namespaces must be objects", () => {
    rejectsOptions("session", /options must be an object, got string/);
    rejectsOptions(null, /options must be an object, got null/);
    rejectsOptions({ namespaces: "s" }, /option "namespaces" must be an object/);
  });

  it("an empty or non-string namespace is a TypeError", () => {
    rejectsOptions({ namespaces: { session: "" } }, /"namespaces.session" must be a non-empty/);
    rejectsOptions({ namespaces: { userSession: 7 } }, /"namespaces.userSession" .* got number/);
  });

  it("equal or overlapping namespaces are a TypeError, since a key could belong to both", () => {
    rejectsOptions({ namespaces: { session: "x", userSession: "x" } }, /collide/);
    rejectsOptions({ namespaces: { session: "s", userSession: "s:u" } }, /collide/);
    rejectsOptions({ namespaces: { session: "a:b:c", userSession: "a" } }, /collide/);
    // Defaults against a custom namespace that overlaps one of them.
    rejectsOptions({ namespaces: { userSession: "session:u" } }, /collide/);
  });

  it("namespaces that only share leading characters do not collide", () => {
    assert.equal(
      typeof redis(idle, { namespaces: { session: "s", userSession: "su" } }),
      "function",
    );
    assert.equal(
      typeof redis(idle, { namespaces: { session: "app:s", userSession: "app:u" } }),
      "function",
    );
  });

  it("options may be omitted, or given as an empty object", () => {
    assert.equal(typeof redis(idle)().getSession, "function");
    assert.equal(typeof redis(idle, {})().getSession, "function");
    assert.equal(typeof redis(idle, { namespaces: {} })().getSession, "function");
  });
});

describe("Default namespaces", () => {
  const ctx = useRedis();
  it("sessions go to session:<id> and the index to userSession:<userId> by default", async () => {
    const client = createClient({ url: ctx.server.url });
    await client.connect();
    try {
      const id = `default-ns-${crypto.randomUUID()}`;
      const userId = `default-ns-user-${crypto.randomUUID()}`;
      const adapter = redis(client)();
      const now = Date.now();
      await adapter.setSession({
        id,
        user_id: userId,
        active_expires: now + 1000,
        idle_expires: now + 60_000,
      });
      assert.equal(await ctx.admin.exists(`session:${id}`), 1);
      assert.deepEqual(await ctx.admin.zRange(`userSession:${userId}`, 0, -1), [id]);
      await adapter.deleteSessionsByUserId(userId);
      assert.equal(await ctx.admin.exists([`session:${id}`, `userSession:${userId}`]), 0);
    } finally {
      await client.quit();
    }
  });
});

describe("Session ids in messages", () => {
  it("show the first characters of an id: at most 6, no more of them than a third of its UTF-16 length, a surrogate pair never split", () => {
    assert.equal(shortId("3f9a1c".padEnd(40, "x")), "3f9a1c…");
    assert.equal(shortId("abcdefgh"), "ab…");
    assert.equal(shortId("ab"), "…");
    assert.equal(shortId(""), "…");
    assert.equal(shortId("😀😀😀😀😀😀😀😀😀😀"), "😀😀😀😀😀😀…");
    assert.equal(shortId("a😀b😀c😀d😀e😀f😀g😀"), "a😀b😀c😀…");
    // A lone surrogate is one character, as Array.from counts it.
    assert.equal(shortId("\uD800abcdefghijklmnopq"), "\uD800abcde…");
  });
});
