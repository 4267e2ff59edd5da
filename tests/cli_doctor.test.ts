/**
 * `doctor` under docs/server.md's recommended ACL (no warning; what it may not read is skipped),
 * with refused commands (every one listed; the advice names the connected user), and on a Redis
 * Cluster that lost a primary (a failed node fails the check, a shard left without a replica
 * warns).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cli } from "./helpers/cli_fixture.ts";
import { useRedisCluster } from "./helpers/cluster_harness.ts";
import { useRedis } from "./helpers/harness.ts";
import { parseClusterNodes } from "../src/cli/doctor_checks.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The rules of the recommended ACL in docs/server.md (`ACL SETUSER app on >… ~session:* … +time`). */
function readmeAclRules(): string[] {
  const readme = readFileSync(join(ROOT, "docs", "server.md"), "utf8");
  const found = /`ACL SETUSER app on >… ([^`]+)`/.exec(readme);
  assert.ok(found, "docs/server.md gives an ACL SETUSER example");
  return found[1].split(/\s+/).filter((rule) => rule !== "");
}

interface Check {
  name: string;
  status: string;
  finding: string;
  advice?: string;
}

/** Runs doctor --json; its exit code and checks by name. */
async function doctor(url: string, args: string[] = []) {
  const run = await cli(url, ["doctor", "--json", ...args]);
  assert.equal(run.stderr, "");
  const report = JSON.parse(run.stdout) as { ok: boolean; checks: Check[] };
  const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
  return { code: run.code, report, byName };
}

describe("doctor and the ACL", () => {
  const redis = useRedis();
  const as = (user: string) => redis.server.url.replace("redis://", `redis://${user}:pw@`);
  const setUser = (name: string, rules: string[]) =>
    redis.admin.sendCommand(["ACL", "SETUSER", name, "reset", "on", ">pw", ...rules]);

  it("gives no warning and no failure under docs/server.md's recommended ACL", async () => {
    if (!redis.server.owned) return; // ACL users only on a server this file started.
    const rules = readmeAclRules();
    assert.ok(rules.includes("~session:*") && rules.includes("+time"), rules.join(" "));
    await setUser("sessions_app", rules);
    const { code, report, byName } = await doctor(as("sessions_app"));
    assert.equal(code, 0);
    const bad = report.checks.filter((c) => c.status === "warn" || c.status === "fail");
    assert.deepEqual(bad, []);
    assert.equal(byName.permissions.status, "ok");
    // What this user may not read is said to be unknown, not warned about.
    assert.equal(byName.persistence.status, "skip");
    assert.match(byName.persistence.finding, /CONFIG GET refused to this user/);
    const text = await cli(as("sessions_app"), ["doctor"]);
    assert.match(text.stdout, /^0 failed, 0 warnings, 1 skipped/m);
  });

  it("lists every refused command, and names the connected user in its advice", async () => {
    if (!redis.server.owned) return;
    const rules = readmeAclRules();
    await setUser("narrow_app", [...rules, "-eval", "-evalsha", "-zadd", "-del"]);
    const { code, byName } = await doctor(as("narrow_app"));
    assert.equal(code, 1);
    const { status, finding, advice } = byName.permissions;
    assert.equal(status, "fail");
    // EVAL refused: the scripts' commands are then tried one by one, writing nothing.
    assert.equal(
      finding,
      "refused: EVAL; in scripts: DEL, ZADD on session:* and userSession:*; " +
        "EVALSHA (whole scripts are sent every time)",
    );
    assert.match(advice!, /ACL SETUSER narrow_app ~session:\* ~userSession:\* \+@read/);
    assert.deepEqual(await redis.admin.keys("session:doctor-probe-*"), []);
    assert.deepEqual(await redis.admin.keys("userSession:doctor-probe-*"), []);

    // With ACL WHOAMI allowed the name comes from the server; the default user is "default".
    await setUser("whoami_app", [...rules, "-time", "+acl|whoami"]);
    const named = await doctor(as("whoami_app"));
    assert.match(named.byName.permissions.finding, /TIME/);
    assert.match(named.byName.permissions.advice!, /^Grant them to "whoami_app"/);
    const plain = await doctor(redis.server.url);
    assert.equal(plain.byName.permissions.status, "ok");
  });
});

describe("doctor on a Redis Cluster", () => {
  const cluster = useRedisCluster();

  it("parses CLUSTER NODES lines, flags and replicas", () => {
    const nodes = parseClusterNodes(
      "a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460\n" +
        "b2 127.0.0.1:7001@17001,host master,fail? - 0 0 2 connected 5461-10922\n" +
        "c3 127.0.0.1:7002@17002 slave a1 0 0 1 disconnected\n",
    );
    assert.deepEqual(nodes.map((n) => [n.address, n.flags, n.primary, n.linked, n.slots]), [
      ["127.0.0.1:7000", ["myself", "master"], "-", true, ["0-5460"]],
      ["127.0.0.1:7001", ["master", "fail?"], "-", true, ["5461-10922"]],
      ["127.0.0.1:7002", ["slave"], "a1", false, []],
    ]);
  });

  it("fails once a primary has failed, and warns on the shard its replica now serves alone", async () => {
    const urls = () => cluster.cluster.rootNodes.map((n) => n.url).join(",");
    const healthy = await doctor(urls(), ["--cluster"]);
    assert.equal(healthy.byName.cluster.status, "ok", healthy.byName.cluster.finding);
    assert.equal(healthy.byName.shards.status, "ok", healthy.byName.shards.finding);
    assert.equal(healthy.byName.shards.finding, "3 shards, each with a replica");
    if (!cluster.cluster.owned) return; // Nodes are killed only in a cluster this file started.

    const killed = await cluster.cluster.killPrimaryOf("doctor");
    const dead = `${killed.node.host}:${killed.node.port}`;
    // Right after the kill the primary does not answer: doctor exits 1 naming it.
    const early = await cli(urls(), ["doctor", "--cluster"]);
    assert.equal(early.code, 1, early.stdout);
    assert.match(early.stdout + early.stderr, new RegExp(dead.replaceAll(".", "\\.")));

    // Once its replica has taken over: the dead node is flagged, its shard has no replica.
    const { newPrimary } = await cluster.cluster.waitForFailover(killed, {
      timeoutMs: 20 * cluster.cluster.nodeTimeout,
    });
    const after = await doctor(urls(), ["--cluster"]);
    assert.equal(after.code, 1);
    assert.equal(after.byName.cluster.status, "fail");
    assert.match(after.byName.cluster.finding, new RegExp(`${dead} flagged fail`));
    assert.equal(after.byName.shards.status, "warn");
    assert.match(
      after.byName.shards.finding,
      new RegExp(
        `^1 of 3 shards without a healthy replica: ${newPrimary.host}:${newPrimary.port} `,
      ),
    );
    const text = await cli(urls(), ["doctor", "--cluster"]);
    assert.match(text.stdout, /^[1-9]\d* failed, [1-9]\d* warnings?/m);
  });
});
