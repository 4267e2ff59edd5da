/**
 * The `migrate` command against a real redis-server and a real local Redis Cluster: legacy data
 * written by the earlier adapters (2.1.2 itself; 1.x in its exact format), then `migrate`, then
 * what is in Redis, checked key by key, and the adapter's operations through both entries. Also:
 * a dry run writes nothing, a second run changes nothing, an interrupted run completes when run
 * again, and users signing in and out meanwhile lose no session and get none back.
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient, createCluster } from "redis5";
import redisV2 from "../v2.ts";
import { CliError, UsageError } from "../src/cli/io.ts";
import { barLine, plainLine, startProgress } from "../src/cli/progress.ts";
import { type Admin, freshNamespaces, sleep, useRedis } from "./helpers/harness.ts";
import { useRedisCluster } from "./helpers/cluster_harness.ts";
import { checkInvariants, snapshot } from "./faults/harness.ts";
import {
  appAdapter,
  countsOf,
  type Dataset,
  HOUR,
  runMigrate,
  seedDataset,
  seedTwoNamespaces,
  type Target,
} from "./helpers/migrate_fixture.ts";

const long = { timeout: 60_000 };

/** One deployment the suite runs on, known once its `before` hooks have run. */
interface Deployment {
  cluster: boolean;
  admin: Admin;
  target: Target;
  /** A node-redis 5 client (or cluster) for the application's adapter: not the tool's. */
  app: unknown;
}

type Ns = ReturnType<typeof freshNamespaces>;

/** What a migration must leave: live sessions indexed and expiring at idle_expires, no dead. */
async function checkMigrated(d: Deployment, ns: Ns, data: Dataset) {
  const index = (userId: string) => `${ns.userSession}:${userId}`;
  for (const [id, { userId, idle }] of data.live) {
    const expiry = Number(await d.admin.sendCommand(["PEXPIRETIME", `${ns.session}:${id}`]));
    assert.equal(expiry, Math.ceil(idle), `session ${id} expires at its idle_expires`);
    assert.equal(await d.admin.zScore(index(userId), id), Math.ceil(idle), `${id} is indexed`);
  }
  for (const id of data.dead) assert.equal(await d.admin.exists(`${ns.session}:${id}`), 0);
  for (const userId of data.users) {
    assert.equal(await d.admin.type(index(userId)), "zset");
    const want = [...data.live].filter(([, s]) => s.userId === userId).map(([id]) => id);
    // On a cluster an entry whose session is missing may be a login in flight: kept till its score.
    if (d.cluster) want.push(...[...data.ghosts].filter(([, u]) => u === userId).map(([id]) => id));
    assert.deepEqual((await d.admin.zRange(index(userId), 0, -1)).sort(), want.sort());
  }
  await checkInvariants(d.admin, ns);
}

function migrateSuite(d: Deployment) {
  const seeded = async (users: number) => {
    const ns = freshNamespaces();
    return { ns, data: await seedDataset(d.admin, appAdapter(d.app, ns), ns, users, d.cluster) };
  };

  it(
    "a dry run writes nothing and reports exactly what the run then does; a second run changes nothing",
    long,
    async () => {
      const { ns, data } = await seeded(24);
      const before = await snapshot(d.admin, ns.root);
      const dry = await runMigrate(d.target, ns, { dryRun: true, batch: 7 });
      assert.deepEqual(await snapshot(d.admin, ns.root), before, "a dry run writes nothing");
      assert.equal(dry.summary.dryRun, true);
      assert.deepEqual(countsOf(dry.summary), { ...countsOf(dry.summary), ...data.expected });
      const real = await runMigrate(d.target, ns, { batch: 7 });
      assert.equal(real.code, 0);
      assert.equal(real.summary.dryRun, false);
      assert.deepEqual(countsOf(real.summary), countsOf(dry.summary));
      await checkMigrated(d, ns, data);
      const again = await runMigrate(d.target, ns);
      assert.equal(again.summary.changes, 0, JSON.stringify(again.summary));
      assert.equal(
        again.summary.sessionsScanned,
        real.summary.sessionsScanned - real.summary.sessionsDeleted,
      );
      assert.deepEqual((await runMigrate(d.target, ns, { dryRun: true })).summary.changes, 0);
    },
  );

  it("after it, every operation of both entries works on the migrated data", long, async () => {
    const { ns, data } = await seeded(8);
    await runMigrate(d.target, ns);
    const v1 = appAdapter(d.app, ns);
    const v2 = redisV2(d.app as Parameters<typeof redisV2>[0], {
      session: ns.session,
      userSessions: ns.userSession,
    })();
    const liveOf = (userId: string) =>
      [...data.live].filter(([, s]) => s.userId === userId).sort((a, b) => a[1].idle - b[1].idle)
        .map(([id]) => id);
    const now = Date.now();
    for (const [i, userId] of data.users.entries()) {
      const adapter = i < 4 ? v1 : v2;
      const ids = liveOf(userId);
      assert.deepEqual((await adapter.getSessionsByUserId(userId)).map((s) => s.id), ids);
      assert.equal((await adapter.getSession(ids[0]))?.user_id, userId);
      const fresh = {
        id: `fresh${i}`,
        user_id: userId,
        active_expires: now,
        idle_expires: now + HOUR,
      };
      await adapter.setSession(fresh);
      await adapter.deleteSession(ids[0]);
      assert.equal(await adapter.getSession(ids[0]), null);
      const left = (await adapter.getSessionsByUserId(userId)).map((s) => s.id);
      assert.deepEqual(left.sort(), [...ids.slice(1), fresh.id].sort());
      if (adapter === v2) {
        await v2.updateSession(fresh.id, { idle_expires: now + 2 * HOUR });
        const key = `${ns.session}:${fresh.id}`;
        assert.equal(Number(await d.admin.sendCommand(["PEXPIRETIME", key])), now + 2 * HOUR);
      }
      await checkInvariants(d.admin, ns);
      await adapter.deleteSessionsByUserId(userId);
      assert.deepEqual(await adapter.getSessionsByUserId(userId), []);
    }
  });

  it("interrupted, it stops with an error and completes when run again", long, async () => {
    const { ns, data } = await seeded(32);
    await assert.rejects(
      runMigrate(d.target, ns, { batch: 3, failAfterScans: 5 }),
      (error) => error instanceof CliError && /migrate stopped: .*run it again/.test(error.message),
    );
    const rerun = await runMigrate(d.target, ns, { batch: 3 });
    assert.ok(rerun.summary.changes > 0);
    await checkMigrated(d, ns, data);
    assert.equal((await runMigrate(d.target, ns)).summary.changes, 0);
  });

  it(
    "while users sign in and out through the adapter, it loses no session and brings none back",
    long,
    async () => {
      const { ns, data } = await seeded(48);
      const adapter = appAdapter(d.app, ns);
      const alive = new Map<string, Set<string>>(data.users.map((u) => [u, new Set()]));
      for (const [id, { userId }] of data.live) alive.get(userId)!.add(id);
      const deleted = new Set<string>(data.dead);
      let stop = false;
      let ops = 0;
      let created = 0;
      const WORKERS = 4;
      // Each worker owns its users, so every user's operations happen one after another. Not the
      // users whose index lost its expiry (kind 3): no adapter leaves that, and the adapter's
      // own setSession gives such an index the new session's expiry, whatever else it holds.
      const worker = async (w: number) => {
        const mine = data.users.filter((_, i) => i % 4 !== 3).filter((_, j) => j % WORKERS === w);
        while (!stop) {
          const userId = mine[Math.floor(Math.random() * mine.length)];
          const ids = alive.get(userId)!;
          const r = Math.random();
          if (r < 0.45 || ids.size === 0) {
            const id = `new${w}-${created++}`;
            const idle = Date.now() + HOUR + Math.floor(Math.random() * HOUR);
            await adapter.setSession({
              id,
              user_id: userId,
              active_expires: idle,
              idle_expires: idle,
            });
            ids.add(id);
          } else if (r < 0.92) {
            const id = [...ids][Math.floor(Math.random() * ids.size)];
            await adapter.deleteSession(id);
            ids.delete(id);
            deleted.add(id);
          } else {
            await adapter.deleteSessionsByUserId(userId);
            for (const id of ids) deleted.add(id);
            ids.clear();
          }
          ops++;
        }
      };
      const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
      await sleep(30);
      const opsBefore = ops;
      // Each SCAN waits for at least one more operation of the users, so the run and their
      // sign-ins and sign-outs interleave however loaded the machine is.
      let seen = ops;
      let scans = 0;
      const beforeScan = async () => {
        scans++;
        while (ops === seen && !stop) await sleep(1);
        seen = ops;
      };
      let ran, during = 0;
      try {
        ran = await runMigrate(d.target, ns, { batch: 2, beforeScan });
        during = ops - opsBefore;
      } finally {
        stop = true;
        await Promise.all(workers);
      }
      assert.ok(scans >= 20, `the run took ${scans} scans`);
      assert.ok(
        during >= scans,
        `the users kept signing in and out during the run (${during} ops)`,
      );
      assert.ok(ran.summary.changes > 0);
      for (const [userId, ids] of alive) {
        for (const id of ids) {
          const value = await d.admin.get(`${ns.session}:${id}`);
          assert.ok(value !== null && value !== "", `session ${id} was lost`);
          assert.notEqual(await d.admin.zScore(`${ns.userSession}:${userId}`, id), null);
        }
      }
      for (const id of deleted) {
        const value = await d.admin.get(`${ns.session}:${id}`);
        assert.ok(value === null || value === "", `session ${id} came back`);
      }
      await checkInvariants(d.admin, ns);
      assert.equal((await runMigrate(d.target, ns)).summary.changes, 0);
    },
  );

  it(
    "with --merge-user-session-namespace, an app's 1.x indexes and 2.1.2's become one index per user in one run, which the v2 entry reads whole",
    long,
    async () => {
      const { root } = freshNamespaces();
      const two = {
        root,
        session: `${root}:session`,
        from: `${root}:userSession`,
        userSession: `${root}:user_sessions`,
      };
      const live = await seedTwoNamespaces(d.admin, d.app, two);
      const before = await snapshot(d.admin, root);
      const dry = await runMigrate(d.target, two, { dryRun: true, mergeFrom: two.from, batch: 2 });
      assert.deepEqual(await snapshot(d.admin, root), before, "a dry run writes nothing");
      assert.equal(dry.summary.indexesMerged, 3);
      const ran = await runMigrate(d.target, two, { mergeFrom: two.from, batch: 2 });
      assert.deepEqual(countsOf(ran.summary), countsOf(dry.summary));
      assert.equal(ran.summary.mergedFrom, two.from);
      const v2 = redisV2(d.app as never, { session: two.session, userSessions: two.userSession })();
      for (const [userId, ids] of live) {
        assert.equal(await d.admin.exists(`${two.from}:${userId}`), 0, "the old index is gone");
        const listed = (await v2.getSessionsByUserId(userId)).map((s) => s.id).sort();
        assert.deepEqual(listed, ids, `${userId}'s sessions from both namespaces`);
      }
      assert.equal(await d.admin.exists(`${two.session}:a-dead`), 0);
      await checkInvariants(d.admin, two);
      const again = await runMigrate(d.target, two, { mergeFrom: two.from });
      assert.equal(again.summary.changes, 0, JSON.stringify(again.summary));
      await v2.deleteSessionsByUserId("u1");
      for (const id of live.get("u1")!) {
        // Gone, or on a cluster a tombstone (an empty string) until its idle expiry.
        assert.ok(!await d.admin.get(`${two.session}:${id}`), `${id} is signed out`);
      }
      const text = await runMigrate(d.target, two, { mergeFrom: two.from, json: false });
      assert.match(text.stdout, new RegExp(`\\n  indexes merged from "${two.from}" +0\\n`));
    },
  );
}

describe("migrate on a single Redis server", () => {
  const redis = useRedis();
  const d = { cluster: false } as Deployment;
  before(async () => {
    d.admin = redis.admin;
    d.target = { url: redis.server.url, cluster: false };
    const app = createClient({ url: redis.server.url });
    await app.connect();
    d.app = app;
    redis.cleanups.push(() => Promise.resolve(app.destroy()));
  });
  migrateSuite(d);

  it("with --json, stdout holds the JSON summary alone, and a terminal gets a progress bar on stderr", async () => {
    const ns = freshNamespaces();
    await seedDataset(d.admin, appAdapter(d.app, ns), ns, 4, false);
    const ran = await runMigrate(d.target, ns, { tty: true, batch: 2 });
    assert.equal(ran.stdout.trim().split("\n").length, 1);
    assert.equal(ran.summary.indexesConverted, 2);
    assert.match(ran.stderr, /^\rsessions +\[[█▌░]+\] +\d+% {2}[\d,]+ of ≤[\d,]+ keys scanned/);
    assert.match(ran.stderr, /\rdone +\[█+\] 100% {2}15 keys scanned .* keys\/s {2}in .*\n$/);
  });

  it("without a terminal, progress is plain lines on stderr and the summary is text", async () => {
    const ns = freshNamespaces();
    await seedDataset(d.admin, appAdapter(d.app, ns), ns, 4, false);
    const ran = await runMigrate(d.target, ns, { json: false });
    assert.doesNotMatch(ran.stderr, /\r/);
    assert.match(ran.stderr, /^migrate: done: 15 keys scanned \(100%\)/m);
    assert.match(ran.stdout, /^migrate: \d+ changes, 15 keys scanned in .*\n/);
    assert.match(ran.stdout, /\n {2}legacy indexes converted +2\n/);
    const dry = await runMigrate(d.target, ns, { json: false, dryRun: true });
    assert.match(
      dry.stdout,
      /^migrate --dry-run: nothing written; a real run would make 0 changes/,
    );
  });

  it("--merge-user-session-namespace refuses the target's namespace, or one that collides with another", async () => {
    const ns = freshNamespaces();
    for (const from of [ns.userSession, ns.session, `${ns.userSession}:x`, ns.root]) {
      await assert.rejects(
        runMigrate(d.target, ns, { mergeFrom: from }),
        (error) =>
          error instanceof UsageError && /--merge-user-session-namespace/.test(error.message),
        from,
      );
    }
  });

  it("a value that is no session, or a key of another type, under the namespace is left alone", async () => {
    const ns = freshNamespaces();
    await d.admin.set(`${ns.session}:junk`, "not json");
    await d.admin.hSet(`${ns.session}:hash`, "f", "v");
    await d.admin.set(`${ns.session}:odd`, JSON.stringify({ user_id: "u", idle_expires: "soon" }));
    const before = await snapshot(d.admin, ns.root);
    const ran = await runMigrate(d.target, ns);
    assert.equal(ran.summary.sessionsSkipped, 3);
    assert.equal(ran.summary.changes, 0);
    assert.deepEqual(await snapshot(d.admin, ns.root), before);
  });

  it("progress lines say keys scanned, changed, the rate and the time left", () => {
    const state = { stage: "sessions", scanned: 250_000, changed: 200_000, total: 1_000_000 };
    assert.equal(
      barLine({ ...state, elapsedMs: 5000 }),
      "sessions  [██████░░░░░░░░░░░░░░░░░░]  25%  250,000 of ≤1,000,000 keys scanned  " +
        "200,000 changed  50,000 keys/s  ETA ≤15.0 s",
    );
    assert.equal(
      plainLine("migrate", { ...state, elapsedMs: 5000 }),
      "migrate: sessions: 250,000 of ≤1,000,000 keys scanned (25%), 200,000 changed, " +
        "50,000 keys/s, ETA ≤15.0 s",
    );
    let t = 0;
    const lines: string[] = [];
    const io = { stderr: (s: string) => void lines.push(s), stderrIsTTY: false } as never;
    const progress = startProgress(io, { label: "migrate", total: 100, now: () => t });
    progress.stage("sessions");
    progress.add(10, 1);
    t = 1999;
    progress.add(10, 1);
    assert.equal(lines.length, 0, "a plain line every 2 s, not before");
    t = 2000;
    progress.add(10, 1);
    assert.equal(lines.length, 1);
    progress.end();
    assert.equal(lines.length, 2);
  });
});

describe("migrate on a Redis Cluster", () => {
  const redis = useRedisCluster();
  const d = { cluster: true } as Deployment;
  before(async () => {
    d.admin = redis.admin;
    const urls = redis.cluster.rootNodes.map((node) => node.url);
    d.target = { url: urls.join(","), cluster: true };
    const app = createCluster({ rootNodes: [...redis.cluster.rootNodes] });
    app.on("error", () => {});
    await app.connect();
    d.app = app;
    redis.cleanups.push(() => Promise.resolve(app.destroy()));
  }, long);
  migrateSuite(d);
});
