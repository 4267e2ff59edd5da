// @ts-check
/**
 * What consumer.mjs and consumer.cjs check once each has loaded the package its own way: a real
 * round trip through the main entry over node-redis and over ioredis, and one through the `/v2`
 * entry (Lucia v2) over node-redis, against the redis-server at REDIS_URL. Copied like
 * consumer.ts.
 *
 * @module
 */
"use strict";
const assert = require("node:assert/strict");

/**
 * What a program loaded, and how.
 * @typedef {object} Loaded
 * @property {"import" | "require"} how
 * @property {string} resolved Where the package's entry point resolved to.
 * @property {typeof import("../../mod.ts").default} redis The default export.
 * @property {typeof import("../../mod.ts").redis} named The export named `redis`.
 * @property {typeof import("../../mod.ts").InvalidSessionDataError} InvalidSessionDataError
 * @property {typeof import("lucia-auth").LuciaError} LuciaError
 * @property {typeof import("redis4").createClient} createClient
 * @property {typeof import("ioredis5").Redis} Redis
 * @property {LoadedV2} v2 The `/v2` entry, loaded the same way.
 */

/**
 * The `/v2` entry, as a program loaded it.
 * @typedef {object} LoadedV2
 * @property {string} resolved Where the entry resolved to.
 * @property {typeof import("../../v2.ts").default} redis The default export.
 * @property {typeof import("../../v2.ts").redis} named The export named `redis`.
 * @property {typeof import("../../v2.ts").DuplicateSessionIdError} DuplicateSessionIdError
 * @property {typeof import("../../v2.ts").InvalidSessionDataError} InvalidSessionDataError
 */

/**
 * Sets, reads, lists and deletes a session through the package over one client.
 * @param {Loaded} loaded
 * @param {string} label
 * @param {import("../../mod.ts").RedisClient} client
 */
async function exercise({ redis, LuciaError }, label, client) {
  const ns = `consumer-${process.pid}-${label}`;
  // No LuciaError passed: the package falls back to lucia-auth's own, which must be the very
  // class the consumer sees (one lucia-auth instance for import and require alike).
  const adapter = redis(client, { namespaces: { session: ns + ":s", userSession: ns + ":u" } })();
  const now = Date.now();
  const session = {
    id: "s1",
    user_id: "u1",
    active_expires: now + 60e3,
    idle_expires: now + 120e3,
    extra: "x",
  };
  await adapter.setSession(session);
  assert.deepEqual(await adapter.getSession("s1"), session);
  await adapter.setSession(session); // The very same session again: a safe retry.
  await assert.rejects(adapter.setSession({ ...session, extra: "y" }), (e) => {
    assert.ok(e instanceof LuciaError, "a duplicate id rejects with lucia-auth's LuciaError");
    assert.equal(e.message, "AUTH_DUPLICATE_SESSION_ID");
    return true;
  });
  assert.deepEqual((await adapter.getSessionsByUserId("u1")).map((s) => s.id), ["s1"]);
  await adapter.deleteSession("s1");
  assert.equal(await adapter.getSession("s1"), null);
  await adapter.deleteSessionsByUserId("u1");
}

/**
 * A Lucia v2 session's life through the `/v2` entry over node-redis: set, read, update, list,
 * a duplicate id refused, then the user's sessions deleted, no key left behind.
 * @param {LoadedV2} v2
 * @param {ReturnType<Loaded["createClient"]>} client
 */
async function exerciseV2({ redis, DuplicateSessionIdError }, client) {
  const ns = `consumer-${process.pid}-v2`;
  const adapter = redis(client, { session: ns + ":s", userSessions: ns + ":u" })();
  const now = Date.now();
  const session = {
    id: "s1",
    user_id: "u1",
    active_expires: now + 60e3,
    idle_expires: now + 120e3,
    country: "FR",
  };
  await adapter.setSession(session);
  assert.deepEqual(await adapter.getSession("s1"), session);
  await adapter.updateSession("s1", { country: "DE" });
  const updated = { ...session, country: "DE" };
  assert.deepEqual(await adapter.getSession("s1"), updated, "updateSession changed the attribute");
  assert.deepEqual(await adapter.getSessionsByUserId("u1"), [updated]);
  await assert.rejects(adapter.setSession({ ...updated, user_id: "u2" }), (e) => {
    assert.ok(e instanceof DuplicateSessionIdError, "a duplicate id rejects with the export");
    return true;
  });
  assert.deepEqual(await adapter.getSession("s1"), updated, "the refused write changed nothing");
  await adapter.deleteSessionsByUserId("u1");
  assert.equal(await adapter.getSession("s1"), null);
  assert.deepEqual(await adapter.getSessionsByUserId("u1"), []);
  assert.deepEqual(await client.keys(`${ns}:*`), [], "no key is left behind");
}

/**
 * Checks the package's exports, then round trips over node-redis and ioredis.
 * @param {Loaded} loaded
 */
async function roundTrips(loaded) {
  const { how, resolved, redis, named, InvalidSessionDataError, createClient, Redis, v2 } = loaded;
  const url = process.env.REDIS_URL;
  assert.ok(url, "REDIS_URL must be set");
  assert.equal(named, redis, "the default export is redis()");
  assert.equal(typeof InvalidSessionDataError, "function");
  assert.throws(
    () => redis(/** @type {never} */ ({})),
    TypeError,
    "an unsupported client is a TypeError",
  );
  assert.equal(v2.named, v2.redis, "the default export of /v2 is its redis()");
  assert.notEqual(v2.redis, redis, "/v2 has its own redis()");
  assert.equal(typeof v2.DuplicateSessionIdError, "function");
  assert.throws(() => v2.redis(/** @type {never} */ ({})), TypeError);
  if (how === "import") {
    // The ES modules share their chunks: one class per error for an app using both entries.
    // (Each CommonJS entry is a bundle of its own, with its own copy.)
    assert.equal(v2.InvalidSessionDataError, InvalidSessionDataError, "one shared error class");
  }

  const nodeRedis = createClient({ url });
  await nodeRedis.connect();
  try {
    await exercise(loaded, "node-redis", nodeRedis);
    await exerciseV2(v2, nodeRedis);
  } finally {
    await nodeRedis.quit();
  }
  const ioredis = new Redis(url, { lazyConnect: true });
  await ioredis.connect();
  try {
    await exercise(loaded, "ioredis", ioredis);
  } finally {
    await ioredis.quit();
  }
  console.log(
    `ok: ${how} loaded ${resolved} and ${v2.resolved}; node-redis and ioredis round trips ` +
      `(main entry) and node-redis round trip (/v2) passed`,
  );
}

exports.roundTrips = roundTrips;
