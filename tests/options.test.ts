/**
 * Options: defaults, validation up front, and the keys they give.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis4";
import { Redis as Upstash } from "@upstash/redis";
import redis, { type RedisSessionAdapterOptions } from "../mod.ts";
import redisV2 from "../v2.ts";
import { shortId } from "../src/core/errors.ts";
import { useRedis } from "./helpers/harness.ts";

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

describe("The durability option", () => {
  const durability = (value: unknown) => ({ durability: value });
  const throwsRange = (options: unknown, message: RegExp) =>
    assert.throws(
      () => redis(idle, options as RedisSessionAdapterOptions),
      (error: unknown) => error instanceof RangeError && message.test(error.message),
    );

  it("takes a positive integer count of replicas and timeout in ms, on both entries", () => {
    assert.equal(typeof redis(idle, { durability: { replicas: 1, timeout: 500 } }), "function");
    const v2 = redisV2(idle, { durability: { replicas: 2, timeout: 50 } });
    assert.equal(typeof v2().deleteSession, "function");
  });

  it("anything else is a TypeError or RangeError naming the field, before anything is sent", () => {
    rejectsOptions(durability(1), /option "durability" must be an object, got number/);
    rejectsOptions(durability(null), /option "durability" must be an object, got null/);
    rejectsOptions(durability({ replicas: 1 }), /option "durability.timeout" is missing/);
    rejectsOptions(durability({ timeout: 1 }), /option "durability.replicas" is missing/);
    rejectsOptions(
      durability({ replicas: 1, timeout: 1, aof: 1 }),
      /unknown option "durability.aof" \(known: "durability.replicas", "durability.timeout"\)/,
    );
    rejectsOptions(
      durability({ replicas: "1", timeout: 1 }),
      /"durability.replicas" must be a number/,
    );
    throwsRange(
      durability({ replicas: 0, timeout: 1 }),
      /"durability.replicas" must be a positive integer, got 0/,
    );
    throwsRange(
      durability({ replicas: 1.5, timeout: 1 }),
      /"durability.replicas" must be a positive integer/,
    );
    throwsRange(
      durability({ replicas: 1, timeout: 0 }),
      /"durability.timeout" must be a positive integer, got 0/,
    );
    throwsRange(durability({ replicas: 1, timeout: Infinity }), /"durability.timeout"/);
    assert.throws(
      () => redisV2(idle, { durability: { replicas: -1, timeout: 1 } }),
      /^RangeError: Cannot create the Redis session adapter: option "durability.replicas"/,
    );
  });

  it("is refused for Upstash, whose HTTP requests may each reach another connection", () => {
    const upstash = new Upstash({ url: "https://example.upstash.io", token: "token" });
    const message =
      /^Cannot create the Redis session adapter: option "durability" needs a client that sends each command over one connection, so that WAIT follows the write on it; Upstash/;
    for (const open of [redis, redisV2] as const) {
      assert.throws(
        () => open(upstash, { durability: { replicas: 1, timeout: 100 } }),
        (error: unknown) => error instanceof TypeError && message.test(error.message),
      );
      assert.equal(typeof open(upstash), "function");
    }
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
