/**
 * `stats` on mixed legacy data (this adapter's, the 1.x format with its ~54-year TTLs and dead
 * sessions, 2.1.2's own writes): its "needs migrating" figures are what `migrate --dry-run` then
 * reports, and its live counts are what a count straight from Redis finds; zeros on an empty
 * namespace; the other default index namespace reported; migrate's progress ending at 100 %.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cli, nsArgs, seed } from "./helpers/cli_fixture.ts";
import { appAdapter, runMigrate, seedDataset } from "./helpers/migrate_fixture.ts";
import { type Admin, freshNamespaces, useRedis } from "./helpers/harness.ts";
import { barLine, plainLine, startProgress } from "../src/cli/progress.ts";
import { otherIndexNamespace, PER_USER_BUCKETS } from "../src/cli/stats_scan.ts";

const HOUR = 3_600_000;

type Ns = { session: string; userSession: string };

/**
 * Users in the 1.x format, as examples/cli.ts writes them: a LIST index, each session
 * with `EX <idle_expires>` (the timestamp as a relative TTL), the first one dead but still
 * stored; every third user's list also names another user's session and one that is gone.
 */
async function seedLegacyLists(admin: Admin, ns: Ns, users: number): Promise<void> {
  const now = Date.now();
  await Promise.all(Array.from({ length: users }, async (_, u) => {
    const ids: string[] = [];
    for (let n = 0; n < 1 + (u % 5); n++) {
      const id = `x${u}n${n}`;
      ids.push(id);
      const idle = n === 0 ? now - 60_000 : now + (n + u % 7) * HOUR;
      const value = { id, user_id: `old${u}`, active_expires: idle - HOUR / 2, idle_expires: idle };
      await admin.sendCommand([
        "SET",
        `${ns.session}:${id}`,
        JSON.stringify(value),
        "EX",
        String(idle),
      ]);
    }
    if (u % 3 === 0) ids.push(`x${u + 1}n1`, `x${u}gone`);
    await admin.rPush(`${ns.userSession}:old${u}`, ids);
  }));
}

/** Every key under `prefix` on the test's server. */
async function scanAll(admin: Admin, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await admin.sendCommand(
      ["SCAN", cursor, "MATCH", `${prefix}*`, "COUNT", "1000"],
    ) as [string, string[]];
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found;
}

/**
 * Live sessions per user counted straight from Redis, without the library: for each index, the
 * listed ids whose key holds JSON naming this user with an idle expiry after the server's now.
 */
async function liveFromRedis(admin: Admin, ns: Ns) {
  const [seconds, micros] = await admin.sendCommand(["TIME"]) as [string, string];
  const now = Number(seconds) * 1000 + Number(micros) / 1000;
  const perUser: Record<string, number> = Object.fromEntries(
    PER_USER_BUCKETS.map((b) => [b.label, 0]),
  );
  let max = 0;
  for (const key of await scanAll(admin, `${ns.userSession}:`)) {
    const userId = key.slice(ns.userSession.length + 1);
    const type = await admin.type(key);
    const ids = type === "list"
      ? await admin.lRange(key, 0, -1)
      : type === "set"
      ? await admin.sMembers(key)
      : await admin.zRange(key, 0, -1);
    let live = 0;
    for (const id of new Set(ids)) {
      const raw = (await admin.type(`${ns.session}:${id}`)) === "string"
        ? await admin.get(`${ns.session}:${id}`)
        : null;
      if (!raw) continue;
      const value = JSON.parse(raw);
      if (value.user_id === userId && Number(value.idle_expires) > now) live++;
    }
    max = Math.max(max, live);
    perUser[PER_USER_BUCKETS.find((b) => live <= b.max)!.label]++;
  }
  let sessions = 0;
  for (const key of await scanAll(admin, `${ns.session}:`)) {
    const raw = (await admin.type(key)) === "string" ? await admin.get(key) : null;
    if (!raw) continue;
    const value = JSON.parse(raw);
    if (typeof value.user_id === "string" && Number(value.idle_expires) > now) sessions++;
  }
  return { perUser, max, sessions };
}

describe("stats", () => {
  const redis = useRedis();
  const url = () => redis.server.url;
  const target = () => ({ url: url(), cluster: false });

  it("reports, as what needs migrating, exactly what migrate --dry-run then reports", async () => {
    const ns = freshNamespaces();
    const app = appAdapter(redis.admin, ns);
    await seed(redis.admin, ns);
    await seedDataset(redis.admin, app, ns, 40, false);
    await seedLegacyLists(redis.admin, ns, 60);
    await redis.admin.set(`${ns.root}:other:k`, "not a session key");

    const run = await cli(url(), ["stats", "--json", ...nsArgs(ns)]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, "", "stats shows no progress of its dry run");
    const stats = JSON.parse(run.stdout);
    const dry = (await runMigrate(target(), ns, { dryRun: true })).summary;
    assert.deepEqual(stats.migration, {
      sessionsExpiryFixed: dry.sessionsExpiryFixed,
      sessionsDeleted: dry.sessionsDeleted,
      indexesConverted: dry.indexesConverted,
      danglingEntriesDropped: dry.danglingEntriesDropped,
      indexExpiriesFixed: dry.indexExpiriesFixed,
      changes: dry.changes,
    });
    assert.ok(dry.sessionsExpiryFixed > 0 && dry.sessionsDeleted > 0 && dry.indexesConverted > 0);
    assert.equal(stats.sessionsNeedingExpiryFix, dry.sessionsExpiryFixed);
    assert.equal(stats.danglingIndexEntries, dry.danglingEntriesDropped);
    assert.equal(stats.legacyIndexes.list + stats.legacyIndexes.set, dry.indexesConverted);
    assert.equal(stats.expiredSessions, dry.sessionsDeleted, "the dead sessions still stored");
    assert.equal(stats.needsMigration, true);

    const text = await cli(url(), ["stats", ...nsArgs(ns)]);
    assert.match(
      text.stdout,
      new RegExp(`Needs migrating: ${dry.changes.toLocaleString("en-US")} changes, as`),
    );
    assert.match(
      text.stdout,
      new RegExp(
        `expiries set to idle_expires\\s+${dry.sessionsExpiryFixed.toLocaleString("en-US")}\\n`,
      ),
    );

    // After a real run, stats and a second dry run agree there is nothing left.
    assert.equal((await runMigrate(target(), ns)).code, 0);
    const after = JSON.parse((await cli(url(), ["stats", "--json", ...nsArgs(ns)])).stdout);
    assert.equal(after.migration.changes, 0);
    assert.equal(after.needsMigration, false);
    assert.match((await cli(url(), ["stats", ...nsArgs(ns)])).stdout, /Needs migrating: nothing/);
  });

  it("counts live sessions per user as a count straight from Redis does", async () => {
    const ns = freshNamespaces();
    const app = appAdapter(redis.admin, ns);
    await seed(redis.admin, ns);
    await seedDataset(redis.admin, app, ns, 40, false);
    await seedLegacyLists(redis.admin, ns, 60);
    const stats = JSON.parse((await cli(url(), ["stats", "--json", ...nsArgs(ns)])).stdout);
    const direct = await liveFromRedis(redis.admin, ns);
    assert.deepEqual(stats.sessionsPerUser, direct.perUser);
    assert.equal(stats.maxSessionsPerUser, direct.max);
    assert.equal(stats.sessions, direct.sessions);
    // The dead sessions the 1.x lists still hold are not counted: the first bucket has users.
    assert.ok(direct.perUser["0"] > 0);
  });

  it("prints zeros and exits 0 on an empty namespace, as text and as JSON", async () => {
    const ns = freshNamespaces();
    const json = await cli(url(), ["stats", "--json", ...nsArgs(ns)]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.stderr, "");
    const stats = JSON.parse(json.stdout);
    assert.deepEqual(
      [stats.sessions, stats.users, stats.keys, stats.migration.changes, stats.needsMigration],
      [0, 0, { session: 0, userSession: 0 }, 0, false],
    );
    assert.ok(Object.values(stats.sessionsPerUser).every((n) => n === 0));
    const text = await cli(url(), ["stats", ...nsArgs(ns)]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /live sessions\s+0\n/);
    assert.match(text.stdout, /no key under either namespace/);
    assert.match(text.stdout, /Needs migrating: nothing/);
  });

  it("says when the other default index namespace also holds indexes, and how many", async () => {
    const { root } = freshNamespaces();
    // An app that went from 1.x to 2.1.2 with the defaults: userSession and user_sessions.
    const v1 = { session: `${root}:session`, userSession: `${root}:userSession` };
    const v2 = { session: `${root}:session`, userSession: `${root}:user_sessions` };
    await seed(redis.admin, v1);
    await redis.admin.sAdd(`${v2.userSession}:u7`, ["z1", "z2"]);
    await redis.admin.sAdd(`${v2.userSession}:u8`, ["z3"]);
    await redis.admin.set(`${v2.userSession}:not-an-index`, "x");
    const stats = JSON.parse((await cli(url(), ["stats", "--json", ...nsArgs(v1)])).stdout);
    assert.deepEqual(stats.otherIndexNamespace, { namespace: v2.userSession, indexes: 2 });
    const text = (await cli(url(), ["stats", ...nsArgs(v1)])).stdout;
    assert.match(
      text,
      new RegExp(`Also: "${v2.userSession}" \\(2\\.1\\.2's default\\) holds 2 index keys`),
    );
    assert.match(
      text,
      new RegExp(
        `\`adapter-session-redis migrate --merge-user-session-namespace ${v2.userSession}\``,
      ),
    );
    // Seen from the other side too; and nothing said when there is none.
    const back = JSON.parse((await cli(url(), ["stats", "--json", ...nsArgs(v2)])).stdout);
    assert.deepEqual(back.otherIndexNamespace, { namespace: v1.userSession, indexes: 4 });
    const alone = freshNamespaces();
    await seed(redis.admin, alone);
    const none = JSON.parse((await cli(url(), ["stats", "--json", ...nsArgs(alone)])).stdout);
    assert.equal(none.otherIndexNamespace, null);
  });

  it("names the other default namespace only for the two defaults", () => {
    assert.equal(otherIndexNamespace("userSession"), "user_sessions");
    assert.equal(otherIndexNamespace("user_sessions"), "userSession");
    assert.equal(otherIndexNamespace("app:userSession"), "app:user_sessions");
    assert.equal(otherIndexNamespace("myuserSession"), undefined);
    assert.equal(otherIndexNamespace("u"), undefined);
  });
});

describe("migrate's progress", () => {
  const redis = useRedis();

  it("ends at 100 % on a server that also holds keys outside the namespaces", async () => {
    const ns = freshNamespaces();
    await seed(redis.admin, ns);
    await seedLegacyLists(redis.admin, ns, 30);
    for (let i = 0; i < 200; i++) await redis.admin.set(`${ns.root}:cache:${i}`, "x");
    for (const tty of [true, false]) {
      const run = await runMigrate({ url: redis.server.url, cluster: false }, ns, {
        dryRun: true,
        tty,
      });
      const frames = run.stderr.split(/[\r\n]/).filter((line) => line.trim() !== "");
      const last = frames.at(-1) ?? "";
      const scanned = run.summary.scanned.toLocaleString("en-US");
      assert.match(last, /100%/, `${tty ? "bar" : "line"}: ${last}`);
      assert.match(last, new RegExp(`\\b${scanned} keys scanned\\b`));
      // No frame shows more than 100 %, and every frame's total is at least what it counts.
      for (const frame of frames) {
        const percent = Number(/(\d+)%/.exec(frame)?.[1]);
        assert.ok(percent <= 100, frame);
      }
    }
  });

  it("draws a frame per stage and a final one at 100 % that counts what was scanned", () => {
    let clock = 0;
    const out: string[] = [];
    const io = {
      args: [],
      env: {},
      stdout: () => {},
      stderr: (text: string) => void out.push(text),
      stderrIsTTY: true,
      openRedis: () => Promise.reject(new Error("not used")),
    };
    const progress = startProgress(io, { label: "migrate", total: 1000, now: () => clock });
    progress.stage("sessions");
    clock += 1000;
    progress.add(300, 10);
    progress.stage("indexes");
    clock += 1000;
    progress.add(100, 5);
    const before = out.join("");
    assert.doesNotMatch(before, /100%/, "400 of at most 1,000: not done yet");
    assert.match(before, / 40% {2}400 of ≤1,000 keys scanned/);
    progress.end();
    const last = out.join("").split("\r").at(-1)!;
    assert.match(last, /^done {6}\[█{24}\] 100% {2}400 keys scanned {2}15 changed/);
    assert.ok(last.endsWith("\n"));
  });

  it("says the total is at most what the database holds, in both line forms", () => {
    const state = { stage: "sessions", scanned: 50, changed: 1, total: 200, elapsedMs: 1000 };
    assert.match(barLine(state), / 25% {2}50 of ≤200 keys scanned/);
    assert.match(plainLine("migrate", state), /50 of ≤200 keys scanned \(25%\)/);
    const done = { ...state, stage: "done", total: 50, done: true };
    assert.match(barLine(done), /100% {2}50 keys scanned/);
    assert.match(plainLine("migrate", done), /^migrate: done: 50 keys scanned \(100%\)/);
  });
});
