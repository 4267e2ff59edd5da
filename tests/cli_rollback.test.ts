/**
 * The way back to `@lucia-auth/adapter-session-redis` 2.1.2: sessions written through this
 * package's Lucia v2 entry (by lucia 2.7 itself, and by the adapter), then `migrate --to 2.1.2`
 * through the command line, then the published 2.1.2 itself (npm, as `adapter-session-redis-v2`)
 * on the result: it lists, validates, creates and signs out everywhere, with lucia 2.7 and
 * through its own adapter API, and Redis holds none of the user's sessions after sign-out. Also:
 * a dry run writes nothing and predicts the run, a second run changes nothing, 2.1.2's
 * half-written logins are picked up, and bad usage exits 2 having written nothing.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { lucia } from "lucia";
import { redis as redis212 } from "adapter-session-redis-v2";
import { createClient, createCluster } from "redis5";
import redisV2 from "../v2.ts";
import { type Admin, freshNamespaces, keysUnder, session, useRedis } from "./helpers/harness.ts";
import { useRedisCluster } from "./helpers/cluster_harness.ts";
import { snapshot } from "./faults/harness.ts";
import { cli, nsArgs } from "./helpers/cli_fixture.ts";
import { memoryUserAdapterV2 } from "./v2/memory_user_adapter.ts";
import type { MigrateBackSummary } from "../src/cli/migrate_back.ts";

const HOUR = 60 * 60 * 1000;
const long = { timeout: 60_000 };

type Ns = ReturnType<typeof freshNamespaces>;
// deno-lint-ignore no-explicit-any
type Auth = any; // lucia's types need the app's global `Lucia` namespace; tests use none.

/** One deployment the suite runs on, known once its `before` hooks have run. */
interface Deployment {
  cluster: boolean;
  admin: Admin;
  /** The tool's `--url` (several root nodes, comma-separated, on a cluster). */
  url: string;
  /** A node-redis 5 client (or cluster) for the application: not the tool's. */
  app: unknown;
}

/** Runs `migrate --to 2.1.2 --json` through the tool's entry; returns the exit code and summary. */
async function back(d: Deployment, ns: Ns, ...more: string[]) {
  const args = ["migrate", "--to", "2.1.2", ...nsArgs(ns), "--json", ...more];
  const run = await cli(d.url, d.cluster ? [...args, "--cluster"] : args);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as MigrateBackSummary;
}

/** The counts of a summary, without its timing and mode. */
function countsOf(summary: MigrateBackSummary) {
  const { seconds: _s, keysPerSecond: _k, dryRun: _d, ...rest } = summary;
  return rest;
}

/** 2.1.2's adapter over the app's client, on `ns`. */
function adapter212(d: Deployment, ns: Ns) {
  return redis212(d.app as never, { session: ns.session, userSessions: ns.userSession })(
    undefined as never,
  );
}

function rollbackSuite(d: Deployment) {
  it(
    "after migrate --to 2.1.2, the published 2.1.2 lists, validates, creates and signs out everywhere the sessions this package's v2 entry wrote",
    long,
    async () => {
      const ns = freshNamespaces();
      const users = memoryUserAdapterV2();
      const v2 = redisV2(d.app as never, { session: ns.session, userSessions: ns.userSession });
      const getSessionAttributes = (s: Record<string, unknown>) => ({ country: s.country });
      const authNow: Auth = lucia(
        { adapter: { user: users, session: v2 }, env: "DEV", getSessionAttributes } as never,
      );
      // Users signed in through lucia 2.7 on this package's v2 entry: sorted-set indexes.
      const alice = await authNow.createUser({ key: null, attributes: {} });
      const bob = await authNow.createUser({ key: null, attributes: {} });
      // Bob had a set from 2.1.2 itself, which the v2 entry's next login converted.
      const old = adapter212(d, ns);
      const legacy = session("legacy-b0", bob.userId, 3 * HOUR, { country: "IT" });
      await old.setSession(legacy);
      const a1 = await authNow.createSession({
        userId: alice.userId,
        attributes: { country: "FR" },
      });
      const a2 = await authNow.createSession({
        userId: alice.userId,
        attributes: { country: "NL" },
      });
      const b1 = await authNow.createSession({ userId: bob.userId, attributes: { country: "DE" } });
      await v2().setSession(session("b2", bob.userId, 2 * HOUR, { country: "ES" }));
      // What the adapter leaves in an index meanwhile: a dead entry, one whose session is gone.
      await v2().setSession(session("a-gone", alice.userId, HOUR));
      await d.admin.del(`${ns.session}:a-gone`);
      const index = (userId: string) => `${ns.userSession}:${userId}`;
      assert.equal(await d.admin.type(index(alice.userId)), "zset");
      assert.equal(await d.admin.type(index(bob.userId)), "zset");
      // The problem: 2.1.2 meets a sorted set.
      await assert.rejects(old.getSessionsByUserId(alice.userId), /WRONGTYPE/);

      const before = await snapshot(d.admin, ns.root);
      const dry = await back(d, ns, "--dry-run");
      assert.deepEqual(await snapshot(d.admin, ns.root), before, "a dry run writes nothing");
      const ran = await back(d, ns);
      assert.equal(ran.dryRun, false);
      assert.deepEqual(countsOf(ran), countsOf(dry), "the dry run predicted the run");
      assert.deepEqual(countsOf(ran), {
        to: "2.1.2",
        scanned: 2 + 5,
        changes: 2,
        indexesScanned: 2,
        indexesConverted: 2,
        entriesLeftOut: 1,
        setExpiriesRemoved: 0,
        sessionsScanned: 5,
        sessionsIndexed: 0,
        sessionsLeft: 0,
      });
      for (const user of [alice, bob]) {
        assert.equal(await d.admin.type(index(user.userId)), "set");
        assert.equal(
          Number(await d.admin.pTTL(index(user.userId))),
          -1,
          "2.1.2's set never expires",
        );
      }

      // 2.1.2's own adapter reads what this package wrote, values and all.
      const ids = (list: { id: string }[]) => list.map((s) => s.id).sort();
      const alices = await old.getSessionsByUserId(alice.userId);
      assert.deepEqual(ids(alices), [a1.sessionId, a2.sessionId].sort());
      for (const s of alices) assert.deepEqual(s, await v2().getSession(s.id));
      assert.deepEqual(
        ids(await old.getSessionsByUserId(bob.userId)),
        [
          "b2",
          b1.sessionId,
          legacy.id,
        ].sort(),
      );

      // lucia 2.7 on 2.1.2: validate, list, create, sign out everywhere.
      const auth212: Auth = lucia({
        adapter: {
          user: users,
          session: redis212(d.app as never, {
            session: ns.session,
            userSessions: ns.userSession,
          }),
        },
        env: "DEV",
        getSessionAttributes,
      } as never);
      assert.equal((await auth212.validateSession(a1.sessionId)).country, "FR");
      const fresh = await auth212.createSession({
        userId: alice.userId,
        attributes: { country: "BE" },
      });
      const listed = await auth212.getAllUserSessions(alice.userId);
      assert.deepEqual(
        listed.map((s: { sessionId: string }) => s.sessionId).sort(),
        [a1.sessionId, a2.sessionId, fresh.sessionId].sort(),
      );
      await auth212.invalidateAllUserSessions(alice.userId);
      for (const id of [a1.sessionId, a2.sessionId, fresh.sessionId]) {
        await assert.rejects(auth212.validateSession(id), /AUTH_INVALID_SESSION_ID/);
        assert.equal(await d.admin.exists(`${ns.session}:${id}`), 0, `session ${id} is gone`);
      }
      assert.equal(await d.admin.exists(index(alice.userId)), 0);

      // And through 2.1.2's adapter API directly: create, list, delete all.
      await old.setSession(session("b3", bob.userId, HOUR));
      assert.deepEqual(
        ids(await old.getSessionsByUserId(bob.userId)),
        ["b2", "b3", b1.sessionId, legacy.id].sort(),
      );
      await old.deleteSessionsByUserId(bob.userId);
      assert.deepEqual(await old.getSessionsByUserId(bob.userId), []);
      assert.deepEqual(await keysUnder(d.admin, ns.root), [], "Redis holds none of their sessions");
    },
  );

  it("a second run changes nothing, and its dry run predicts no change", long, async () => {
    const ns = freshNamespaces();
    const v2 = redisV2(d.app as never, { session: ns.session, userSessions: ns.userSession })();
    for (let u = 0; u < 12; u++) {
      for (let s = 0; s < 3; s++) {
        await v2.setSession(session(`s${u}-${s}`, `u${u}`, (s + 1) * HOUR));
      }
    }
    const first = await back(d, ns, "--batch", "5");
    assert.equal(first.indexesConverted, 12);
    const after = await snapshot(d.admin, ns.root);
    const again = await back(d, ns);
    assert.equal(again.changes, 0, JSON.stringify(again));
    assert.equal((await back(d, ns, "--dry-run")).changes, 0);
    assert.deepEqual(await snapshot(d.admin, ns.root), after);
  });

  it(
    "a login 2.1.2 half wrote against a sorted set is added to its user's set, and signing out everywhere then deletes it",
    long,
    async () => {
      const ns = freshNamespaces();
      const v2 = redisV2(d.app as never, { session: ns.session, userSessions: ns.userSession })();
      await v2.setSession(session("h1", "u1", HOUR));
      const old = adapter212(d, ns);
      // 2.1.2 deployed before the run: its SADD meets the sorted set, its SET lands.
      await assert.rejects(old.setSession(session("half", "u1", 2 * HOUR)), /WRONGTYPE/);
      assert.equal(await d.admin.exists(`${ns.session}:half`), 1);
      const dry = await back(d, ns, "--dry-run");
      assert.equal(dry.sessionsIndexed, 1);
      const ran = await back(d, ns);
      assert.deepEqual(countsOf(ran), countsOf(dry));
      assert.deepEqual((await d.admin.sMembers(`${ns.userSession}:u1`)).sort(), ["h1", "half"]);
      await old.deleteSessionsByUserId("u1");
      assert.deepEqual(await keysUnder(d.admin, ns.root), []);
    },
  );

  it(
    "the documented way back: run it while this adapter still serves, deploy 2.1.2, run it again; then 2.1.2 works for every user and signing out leaves nothing",
    long,
    async () => {
      const ns = freshNamespaces();
      const v2 = redisV2(d.app as never, { session: ns.session, userSessions: ns.userSession })();
      for (const u of ["u1", "u2", "u3"]) await v2.setSession(session(`${u}-a`, u, HOUR));
      const first = await back(d, ns);
      assert.equal(first.indexesConverted, 3);
      // This adapter still serves: it reads the sets in place, and a login converts u1's back.
      assert.deepEqual((await v2.getSessionsByUserId("u2")).map((s) => s.id), ["u2-a"]);
      await v2.setSession(session("u1-b", "u1", 2 * HOUR));
      assert.equal(await d.admin.type(`${ns.userSession}:u1`), "zset");
      // 2.1.2 deployed: its login for u1 stores the session, then fails on the sorted set.
      const old = adapter212(d, ns);
      await assert.rejects(old.setSession(session("u1-c", "u1", 3 * HOUR)), /WRONGTYPE/);
      await old.setSession(session("u2-b", "u2", 3 * HOUR)); // A set already: fine.
      const second = await back(d, ns);
      assert.equal(second.indexesConverted, 1);
      assert.equal(second.sessionsIndexed, 1);
      const expected = { u1: ["u1-a", "u1-b", "u1-c"], u2: ["u2-a", "u2-b"], u3: ["u3-a"] };
      for (const [user, ids] of Object.entries(expected)) {
        assert.deepEqual((await old.getSessionsByUserId(user)).map((s) => s.id).sort(), ids);
        await old.deleteSessionsByUserId(user);
      }
      assert.deepEqual(await keysUnder(d.admin, ns.root), []);
    },
  );

  it("a set of 2.1.2's that has an expiry loses it (2.1.2's SADD would not move it)", async () => {
    const ns = freshNamespaces();
    const old = adapter212(d, ns);
    await old.setSession(session("x1", "u1", HOUR));
    await d.admin.pExpire(`${ns.userSession}:u1`, HOUR);
    const ran = await back(d, ns);
    assert.equal(ran.setExpiriesRemoved, 1);
    assert.equal(ran.changes, 1);
    assert.equal(Number(await d.admin.pTTL(`${ns.userSession}:u1`)), -1);
    assert.equal((await back(d, ns)).changes, 0);
  });
}

describe("migrate --to 2.1.2 on a single Redis server", () => {
  const redis = useRedis();
  const d = { cluster: false } as Deployment;
  before(async () => {
    d.admin = redis.admin;
    d.url = redis.server.url;
    const app = createClient({ url: redis.server.url });
    await app.connect();
    d.app = app;
    redis.cleanups.push(() => Promise.resolve(app.destroy()));
  });
  rollbackSuite(d);

  it("a 1.x list in the namespace becomes a set of its live sessions too", async () => {
    const ns = freshNamespaces();
    const live = session("l1", "u1", HOUR);
    const dead = { ...session("l2", "u1", HOUR), idle_expires: Date.now() - 1000 };
    for (const s of [live, dead]) {
      await d.admin.set(`${ns.session}:${s.id}`, JSON.stringify(s), { EX: s.idle_expires });
    }
    await d.admin.rPush(`${ns.userSession}:u1`, ["l1", "l2", "gone", "l1"]);
    const ran = await back(d, ns);
    assert.equal(ran.indexesConverted, 1);
    assert.equal(ran.entriesLeftOut, 2);
    assert.deepEqual(await d.admin.sMembers(`${ns.userSession}:u1`), ["l1"]);
  });

  it("prints a text summary without --json, and its progress on stderr", async () => {
    const ns = freshNamespaces();
    await redisV2(d.app as never, { session: ns.session, userSessions: ns.userSession })()
      .setSession(session("t1", "u1", HOUR));
    const run = await cli(d.url, ["migrate", "--to", "2.1.2", ...nsArgs(ns)]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^migrate --to 2\.1\.2: 1 change, 2 keys scanned in /);
    assert.match(run.stdout, /\n {2}indexes converted to 2\.1\.2's set +1\n/);
    assert.match(run.stderr, /^migrate: done: 2 keys scanned \(100%\)/m);
  });

  it("bad usage exits 2 with one line naming the problem, and writes nothing", async () => {
    const ns = freshNamespaces();
    await redisV2(d.app as never, { session: ns.session, userSessions: ns.userSession })()
      .setSession(session("u-s1", "u1", HOUR));
    const before = await snapshot(d.admin, ns.root);
    const cases: [string[], RegExp][] = [
      [["--to", "3.0.0", ...nsArgs(ns)], /--to takes 2\.1\.2, .* got "3\.0\.0"/],
      [["--to", "2.1", ...nsArgs(ns)], /--to takes 2\.1\.2/],
      [["--to", "2.1.2", "--session-namespace", ns.session], /needs --user-session-namespace/],
      [
        ["--to", "2.1.2", ...nsArgs(ns), "--merge-user-session-namespace", "other"],
        /--merge-user-session-namespace goes with a migration forward/,
      ],
      [["--to", ...nsArgs(ns)], /--to needs a value|--to takes/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(d.url, ["migrate", ...args]);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split("\n").length, 1);
      assert.equal(run.stdout, "");
    }
    assert.deepEqual(await snapshot(d.admin, ns.root), before);
  });
});

describe("migrate --to 2.1.2 on a Redis Cluster", () => {
  const redis = useRedisCluster();
  const d = { cluster: true } as Deployment;
  before(async () => {
    d.admin = redis.admin;
    d.url = redis.cluster.rootNodes.map((node) => node.url).join(",");
    const app = createCluster({ rootNodes: [...redis.cluster.rootNodes] });
    app.on("error", () => {});
    await app.connect();
    d.app = app;
    redis.cleanups.push(() => Promise.resolve(app.destroy()));
  }, long);
  rollbackSuite(d);
});
