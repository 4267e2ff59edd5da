/**
 * The command line (cli.ts, src/cli/): every command but `migrate` against a real redis-server
 * (and `--cluster` against a real local cluster), run in this process through cli.ts's own
 * node-redis connection; and cli.ts run as a program with `deno run`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCluster } from "redis5";
import redisV1 from "../mod.ts";
import { createClient as createClient4 } from "redis4";
import { freePort, type RedisServer } from "../scripts/redis/server.ts";
import {
  type ProxiedReplica,
  startPrimary,
  startProxiedReplica,
} from "./helpers/durability_fixture.ts";
import { cli, nsArgs, seed, writesSoFar } from "./helpers/cli_fixture.ts";
import { useRedisCluster } from "./helpers/cluster_harness.ts";
import { freshNamespaces, keysUnder, useRedis } from "./helpers/harness.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Exactly one line on stderr, and nothing on stdout. */
function assertOneLineError(run: { stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(run.stdout, "");
  assert.match(run.stderr, /^adapter-session-redis: [^\n]+\n$/);
  assert.match(run.stderr, pattern);
}

describe("The command line on a single server", () => {
  const redis = useRedis();
  const url = () => redis.server.url;

  it("stats --json reports what this adapter and the 1.x and 2.x adapters wrote", async () => {
    const ns = freshNamespaces();
    const expected = await seed(redis.admin, ns);
    const writes = await writesSoFar(redis.admin);
    const run = await cli(url(), ["stats", "--json", ...nsArgs(ns)]);
    assert.equal(run.stderr, "");
    assert.equal(run.code, 0);
    const stats = JSON.parse(run.stdout);
    for (const [field, value] of Object.entries(expected)) {
      assert.deepEqual(stats[field], value, field);
    }
    assert.ok(stats.memory.bytes > 0 && stats.memory.exact && stats.memory.measuredKeys === 12);
    if (redis.server.owned) assert.equal(await writesSoFar(redis.admin), writes, "nothing written");
  });

  it("stats as text shows the counts, the histograms and what needs migrating", async () => {
    const ns = freshNamespaces();
    await seed(redis.admin, ns);
    const run = await cli(url(), ["stats", ...nsArgs(ns)]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /live sessions\s+7\n/);
    assert.match(run.stdout, /within an hour\s+2 +█+\n/);
    assert.match(
      run.stdout,
      /Needs migrating: \d+ changes, as `adapter-session-redis migrate --dry-run`/,
    );
    assert.match(run.stdout, /legacy indexes converted \(1\.x lists 1, 2\.x sets 1\)\s+2\n/);
  });

  it("stats prints zeros and exits 0 when no key matches the namespaces", async () => {
    const ns = freshNamespaces();
    const run = await cli(url(), ["stats", ...nsArgs(ns)]);
    assert.deepEqual([run.code, run.stderr], [0, ""]);
    assert.match(run.stdout, /no key under either namespace/);
  });

  it("sessions lists a user's live sessions by idle expiry, as text and as JSON", async () => {
    const ns = freshNamespaces();
    await seed(redis.admin, ns);
    const writes = await writesSoFar(redis.admin);
    const text = await cli(url(), ["sessions", "u1", "--full-ids", ...nsArgs(ns)]);
    assert.equal(text.code, 0);
    assert.deepEqual(text.stdout.trimEnd().split("\n").map((l) => l.split(/\s+/)[0]), [
      "a1",
      "a2",
      "a3",
    ]);
    assert.match(text.stdout, /^a1 +active +active until \S+Z +idle until \S+Z$/m);
    const json = await cli(url(), ["sessions", "u3", "--json", "--full-ids", ...nsArgs(ns)]);
    const [l1] = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(l1), ["id", "state", "activeExpires", "idleExpires"]);
    assert.equal(l1.id, "l1");
    // The 1.x index is read in place, not converted.
    assert.equal(await redis.admin.type(`${ns.userSession}:u3`), "list");
    if (redis.server.owned) assert.equal(await writesSoFar(redis.admin), writes, "nothing written");
    const none = await cli(url(), ["sessions", "nobody", "--json", ...nsArgs(ns)]);
    assert.equal(none.stdout, "[]\n");
  });

  it("revoke deletes sessions and their index entries, and counts those it found", async () => {
    const ns = freshNamespaces();
    await seed(redis.admin, ns);
    const run = await cli(url(), ["revoke", "a1", "c1", "nope", ...nsArgs(ns)]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, "revoked 2 sessions (1 of the 3 ids had none)\n");
    assert.equal(await redis.admin.exists([`${ns.session}:a1`, `${ns.session}:c1`]), 0);
    assert.deepEqual(await redis.admin.zRange(`${ns.userSession}:u1`, 0, -1), ["a2", "a3"]);
    const json = await cli(url(), ["revoke", "a2", "--json", ...nsArgs(ns)]);
    assert.deepEqual(JSON.parse(json.stdout), { requested: 1, revoked: 1 });
  });

  it("revoke-user signs users out everywhere, a 1.x index included", async () => {
    const ns = freshNamespaces();
    await seed(redis.admin, ns);
    const run = await cli(url(), ["revoke-user", "u1", "u3", "--json", ...nsArgs(ns)]);
    assert.equal(run.code, 0);
    assert.deepEqual(JSON.parse(run.stdout), { users: 2, revoked: 4 });
    const left = (await keysUnder(redis.admin, ns.root)).map((k) => k.slice(ns.root.length + 1));
    assert.deepEqual(left, ["s:b1", "s:c1", "s:c2", "s:tomb", "u:u2", "u:u4"]);
    const text = await cli(url(), ["revoke-user", "u2", ...nsArgs(ns)]);
    assert.equal(text.stdout, "revoked 1 session of 1 user\n");
  });

  it("doctor passes on the test's server, and says so as text and as JSON", async () => {
    const writes = await writesSoFar(redis.admin);
    const text = await cli(url(), ["doctor"]);
    assert.equal(text.code, 0, text.stdout);
    assert.match(text.stdout, /^ {2}ok {4}version {6}Redis \d/m);
    const json = await cli(url(), ["doctor", "--json"]);
    const report = JSON.parse(json.stdout);
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks.map((c: { name: string }) => c.name), [
      "version",
      "eviction",
      "persistence",
      "replication",
      "permissions",
    ]);
    if (redis.server.owned) assert.equal(await writesSoFar(redis.admin), writes, "nothing written");
  });

  it("doctor warns about an evicting policy, and fails once a memory limit makes it evict", async () => {
    if (!redis.server.owned) return; // Only on a server this file started.
    await redis.admin.configSet("maxmemory-policy", "allkeys-lru");
    try {
      const warned = JSON.parse((await cli(url(), ["doctor", "--json"])).stdout);
      const eviction = warned.checks.find((c: { name: string }) => c.name === "eviction");
      assert.equal(eviction.status, "warn");
      await redis.admin.configSet("maxmemory", "512mb");
      const run = await cli(url(), ["doctor"]);
      assert.equal(run.code, 1);
      assert.match(run.stdout, /^ {2}fail {2}eviction +maxmemory-policy allkeys-lru with/m);
      assert.match(run.stdout, /→ Set maxmemory-policy to noeviction/);
    } finally {
      await redis.admin.configSet({ "maxmemory": "0", "maxmemory-policy": "noeviction" });
    }
  });

  it("doctor says persistence is ok with none or the append-only file, and warns on RDB snapshots alone", async () => {
    if (!redis.server.owned) return; // Only on a server this file started.
    const persistence = async () => {
      const report = JSON.parse((await cli(url(), ["doctor", "--json"])).stdout);
      return report.checks.find((c: { name: string }) => c.name === "persistence");
    };
    const before = {
      ...await redis.admin.configGet("save"),
      ...await redis.admin.configGet("appendonly"),
    };
    try {
      await redis.admin.configSet({ save: "", appendonly: "no" });
      assert.equal((await persistence()).status, "ok");
      await redis.admin.configSet("save", "3600 1");
      const rdb = await persistence();
      assert.equal(rdb.status, "warn");
      assert.match(rdb.finding, /RDB snapshots only .*come back after a restart/);
      await redis.admin.configSet("appendonly", "yes");
      assert.equal((await persistence()).status, "ok");
    } finally {
      await redis.admin.configSet({
        save: before.save ?? "",
        appendonly: before.appendonly ?? "no",
      });
    }
  });

  it("doctor warns when the ACL refuses EVALSHA, and fails when it refuses EVAL or a namespace", async () => {
    if (!redis.server.owned) return; // Only on a server this file started.
    const users = { noevalsha: ["-evalsha", "~*"], noeval: ["-eval", "~*"], narrow: ["~s:*"] };
    for (const [name, rules] of Object.entries(users)) {
      await redis.admin.sendCommand(["ACL", "SETUSER", name, "on", ">pw", "+@all", ...rules]);
    }
    try {
      const as = (user: string) => url().replace("redis://", `redis://${user}:pw@`);
      const status = async (user: string, args: string[] = []) => {
        const run = await cli(as(user), ["doctor", "--json", ...args]);
        const report = JSON.parse(run.stdout);
        return [run.code, report.checks.find((c: { name: string }) => c.name === "permissions")];
      };
      const [code1, evalsha] = await status("noevalsha");
      assert.equal(code1, 0);
      assert.equal(evalsha.status, "warn");
      assert.match(evalsha.finding, /EVALSHA/);
      const [code2, evalOnly] = await status("noeval");
      assert.equal(code2, 1);
      assert.deepEqual([evalOnly.status, evalOnly.finding], ["fail", "refused: EVAL"]);
      const [code3, narrow] = await status("narrow", ["--session-namespace", "s"]);
      assert.equal(code3, 1);
      // The read's ZRANGE and legacy reads on the index, then every script command there.
      assert.match(
        narrow.finding,
        /^refused: ZRANGE, TYPE, LRANGE, SMEMBERS; in scripts: .*\bZADD\b.*\bZREM\b.* on userSession:\*$/,
      );
    } finally {
      for (const name of Object.keys(users)) {
        await redis.admin.sendCommand(["ACL", "DELUSER", name]);
      }
    }
  });

  it("bad usage exits 2 with one line naming the problem", async () => {
    const cases: [string[], RegExp][] = [
      [["frob"], /unknown command "frob"/],
      [["stats", "--nope"], /unknown option "--nope" for stats/],
      [["stats", "extra"], /stats takes no arguments, got "extra"/],
      [["sessions"], /sessions needs a user id/],
      [["revoke"], /revoke needs a session id/],
      [["stats", "--url", "http://x"], /--url: "http:\/\/x" is not a Redis URL/],
      [["stats", "--url"], /--url needs a value/],
      [["stats", "--session-namespace", "a", "--user-session-namespace", "a:b"], /collide/],
      [[], /no command given/],
    ];
    for (const [args, pattern] of cases) {
      const run = await cli(url(), args);
      assert.equal(run.code, 2, args.join(" "));
      assertOneLineError(run, pattern);
    }
  });

  it("an unreachable server exits 1 with one line naming it, quickly", async () => {
    const port = await freePort();
    const started = Date.now();
    const run = await cli(`redis://127.0.0.1:${port}`, ["doctor"]);
    assert.equal(run.code, 1);
    assertOneLineError(run, new RegExp(`cannot connect to redis://127\\.0\\.0\\.1:${port}: .*`));
    assert.ok(Date.now() - started < 3000);
    const wrongPassword = await cli(url().replace("redis://", "redis://nobody:pw@"), ["stats"]);
    assertOneLineError(wrongPassword, /WRONGPASS/);
  });

  it("--help prints the tool's help and each command's own, with exit code 0", async () => {
    const tool = await cli(url(), ["--help"]);
    assert.equal(tool.code, 0);
    for (const name of ["stats", "sessions", "revoke", "revoke-user", "doctor"]) {
      assert.match(tool.stdout, new RegExp(`^ {2}${name} +\\S`, "m"));
      const own = await cli(url(), [name, "-h"]);
      assert.equal(own.code, 0);
      assert.match(own.stdout, new RegExp(`^Usage: adapter-session-redis ${name}\\b`));
    }
  });

  it("cli.ts run by deno prints only JSON on stdout, and exits 2 on a bad option", async () => {
    const ns = freshNamespaces();
    await seed(redis.admin, ns);
    const deno = join(ROOT, "node_modules", ".bin", "deno");
    const ok = await spawnCli(
      deno,
      ["run", "-A", "cli.ts", "--json", "stats", ...nsArgs(ns)],
      url(),
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).sessions, 7);
    const bad = await spawnCli(deno, ["run", "-A", "cli.ts", "stats", "--frob"], url());
    assert.equal(bad.code, 2);
    assertOneLineError(bad, /unknown option "--frob"/);
  });
});

describe("doctor's replication check, on a primary of its own", () => {
  let primary: RedisServer;
  const replicas: ProxiedReplica[] = [];
  before(async () => void (primary = await startPrimary()));
  after(async () => {
    for (const replica of replicas) await replica.stop();
    await primary?.stop();
  });
  const replication = async (url: string, args: string[] = []) => {
    const run = await cli(url, ["doctor", "--json", ...args]);
    const report = JSON.parse(run.stdout);
    return {
      code: run.code,
      ...report.checks.find((c: { name: string }) => c.name === "replication"),
    };
  };

  it("reports replicas and their lag, warns without min-replicas-to-write, and fails when --replicas asks for more than are connected", async () => {
    const alone = await replication(primary.url);
    assert.deepEqual([alone.code, alone.status], [0, "ok"]);
    assert.match(
      alone.finding,
      /^no replicas: a failover has nothing to promote \(min-replicas-to-write 0\)$/,
    );
    const asked = await replication(primary.url, ["--replicas", "1"]);
    assert.deepEqual([asked.code, asked.status], [1, "fail"]);
    assert.equal(asked.finding, "0 replicas connected, fewer than --replicas 1");
    assert.match(asked.advice, /every revocation would reject with a DurabilityError/);

    const replica = await startProxiedReplica(primary);
    replicas.push(replica);
    const warned = await replication(primary.url, ["--replicas", "1"]);
    assert.deepEqual([warned.code, warned.status], [0, "warn"]);
    assert.match(
      warned.finding,
      /^1 replica connected \(lag \d+ s\), min-replicas-to-write 0: the primary acknowledges writes no replica has/,
    );
    assert.match(warned.advice, /^Set min-replicas-to-write 1 and min-replicas-max-lag 10/);
    const text = await cli(primary.url, ["doctor", "--replicas", "2"]);
    assert.equal(text.code, 1);
    assert.match(
      text.stdout,
      /^ {2}fail {2}replication +1 replica connected \(lag \d+ s\), fewer than --replicas 2$/m,
    );

    let admin = createClient4({ url: primary.url });
    await admin.connect();
    try {
      await admin.configSet("min-replicas-to-write", "1");
      const ok = await replication(primary.url, ["--replicas", "1"]);
      assert.deepEqual([ok.code, ok.status], [0, "ok"]);
      assert.match(
        ok.finding,
        /^1 replica connected \(lag \d+ s\), min-replicas-to-write 1 \(max lag 10 s\) \(--replicas 1 asked\)$/,
      );
    } finally {
      await admin.configSet("min-replicas-to-write", "0");
      await admin.quit();
    }
    admin = createClient4({ url: primary.url });

    await admin.connect();
    await admin.sendCommand(["ACL", "SETUSER", "nowait", "on", ">pw", "+@all", "-wait", "~*"]);
    try {
      const as = primary.url.replace("redis://", "redis://nowait:pw@");
      const noWait = await replication(as, ["--replicas", "1"]);
      assert.deepEqual([noWait.code, noWait.status], [1, "fail"]);
      assert.match(noWait.finding, /^WAIT refused by the ACL/);
      assert.equal((await replication(as)).status, "warn", "WAIT is only tried with --replicas");
    } finally {
      await admin.sendCommand(["ACL", "DELUSER", "nowait"]);
      await admin.quit();
    }

    const onReplica = await replication(replica.server.url);
    assert.deepEqual([onReplica.code, onReplica.status], [1, "fail"]);
    assert.match(
      onReplica.finding,
      /^a replica of 127\.0\.0\.1:\d+ \(link up\): the adapter's writes fail here with READONLY$/,
    );
  });
});

describe("The command line on a Redis Cluster", () => {
  const cluster = useRedisCluster();
  let urls: string;
  before(() => void (urls = cluster.cluster.rootNodes.map((n) => n.url).join(",")));

  it("stats --cluster counts sessions on every primary, sessions --cluster writes nothing, doctor --cluster checks the cluster", async () => {
    const ns = freshNamespaces();
    const client = createCluster({ rootNodes: [...cluster.cluster.rootNodes] });
    await client.connect();
    try {
      const namespaces = { session: ns.session, userSession: ns.userSession };
      const adapter = redisV1(client, { namespaces })();
      const idle = Date.now() + 3_600_000;
      for (let i = 0; i < 20; i++) {
        const s = { id: `s${i}`, user_id: `u${i % 5}`, active_expires: idle, idle_expires: idle };
        await adapter.setSession(s);
      }
      // u1's index also lists a dead id and an id whose session is gone: `sessions` leaves both.
      await client.zAdd(`${ns.userSession}:u1`, [
        { score: Date.now() - 60_000, value: "dead" },
        { score: idle, value: "gone" },
      ]);
      const listed = await cli(urls, [
        "sessions",
        "u1",
        "--cluster",
        "--json",
        "--full-ids",
        ...nsArgs(ns),
      ]);
      assert.equal(listed.code, 0, listed.stderr);
      const ids = JSON.parse(listed.stdout).map((s: { id: string }) => s.id).sort();
      assert.deepEqual(ids, ["s1", "s11", "s16", "s6"]);
      assert.equal(await client.zCard(`${ns.userSession}:u1`), 6, "the index is left as it was");
    } finally {
      client.destroy();
    }
    const stats = await cli(urls, ["stats", "--cluster", "--json", ...nsArgs(ns)]);
    assert.equal(stats.code, 0, stats.stderr);
    const found = JSON.parse(stats.stdout);
    assert.deepEqual([found.nodes, found.sessions, found.users], [3, 20, 5]);
    assert.deepEqual(found.sessionsPerUser["3-5"], 5);
    const revoked = await cli(urls, ["revoke-user", "u0", "--cluster", "--json", ...nsArgs(ns)]);
    assert.deepEqual(JSON.parse(revoked.stdout), { users: 1, revoked: 4 });
    const doctor = JSON.parse((await cli(urls, ["doctor", "--cluster", "--json"])).stdout);
    const state = doctor.checks.find((c: { name: string }) => c.name === "cluster");
    assert.equal(state.status, "ok");
    // Every primary has a replica, and none has min-replicas-to-write: warned, naming a node.
    const replication = doctor.checks.find((c: { name: string }) => c.name === "replication");
    assert.equal(replication.status, "warn");
    assert.match(replication.finding, /^127\.0\.0\.1:\d+: 1 replica connected \(lag \d+ s\)/);
    const single = await cli(urls.split(",")[0], ["stats"]);
    assertOneLineError(single, /is a node of a Redis Cluster: add --cluster/);
  });
});

/** Runs a program with REDIS_URL; resolves with its exit code and output. */
function spawnCli(cmd: string, args: string[], url: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: url, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.on("data", (chunk) => stdout += chunk);
    child.stderr.on("data", (chunk) => stderr += chunk);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
