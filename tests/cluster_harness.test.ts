/**
 * The Redis Cluster harness itself (scripts/redis/cluster.ts): a real 3-primary, 3-replica
 * cluster comes up on loopback, routes keys by slot, fails over when a primary is SIGKILLed, and
 * leaves nothing behind when stopped, or when its process is SIGKILLed without stopping it. The
 * slot helper is checked against `CLUSTER KEYSLOT`.
 *
 * With REDIS_CLUSTER_URLS set, only the read-only checks run against that cluster; the tests
 * that kill or stop nodes are skipped.
 *
 * The cluster is started from `before` without waiting for it, and the first test waits: Bun
 * gives hooks its default 5 s whatever the options say, while each test here has its own timeout.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { crc16, keySlot } from "../src/clients/key_slot.ts";
import {
  nodeCommand,
  type RedisCluster,
  ReplyError,
  startRedisCluster,
} from "../scripts/redis/cluster.ts";

const external = Boolean(process.env.REDIS_CLUSTER_URLS);
const LONG = { timeout: 60_000 };
const OWNED_ONLY = { ...LONG, skip: external ? "REDIS_CLUSTER_URLS is set" : false };

const prefix = `ch${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A key whose slot is `slot` under this file's prefix. */
function keyInSlot(slot: number): string {
  for (let i = 0;; i++) {
    const key = `${prefix}:${i}`;
    if (keySlot(key) === slot) return key;
  }
}

async function info(port: number, host = "127.0.0.1"): Promise<string> {
  const reply = await nodeCommand(host, port, ["CLUSTER", "INFO"]);
  assert.equal(typeof reply, "string");
  return reply as string;
}

describe("Redis Cluster harness", () => {
  let starting: Promise<RedisCluster>;
  let startMs = 0;
  const cluster = () => starting;

  before(() => {
    const t0 = performance.now();
    starting = startRedisCluster().then((started) => {
      startMs = performance.now() - t0;
      return started;
    });
    starting.catch(() => {}); // reported by the first test that awaits it
  });

  after(async () => {
    await (await starting.catch(() => undefined))?.stop();
  });

  it("comes up with 3 primaries, each with 1 replica", LONG, async () => {
    const c = await cluster();
    if (c.owned) console.log(`cluster up in ${startMs.toFixed(0)} ms (Redis ${c.version})`);
    const primaries = c.nodes.filter((node) => node.role === "primary");
    const replicas = c.nodes.filter((node) => node.role === "replica");
    if (!external) {
      assert.equal(primaries.length, 3);
      assert.equal(replicas.length, 3);
      for (const primary of primaries) {
        assert.equal(replicas.filter((r) => r.primaryId === primary.id).length, 1);
      }
      assert.equal(c.rootNodes.length, 6);
      assert.equal(new Set(c.nodes.map((node) => node.port)).size, 6);
    }
    assert.deepEqual(
      (await c.primaries()).map((node) => node.id).sort(),
      primaries.map((node) => node.id).sort(),
    );
    const slots = primaries.flatMap((node) => node.slots).sort((a, b) => a[0] - b[0]);
    let next = 0;
    for (const [first, last] of slots) {
      assert.equal(first, next, "slot ranges are contiguous");
      next = last + 1;
    }
    assert.equal(next, 16384);
  });

  it("every node reports cluster_state:ok and knows every node", LONG, async () => {
    const c = await cluster();
    for (const node of c.nodes) {
      const text = await info(node.port, node.host);
      assert.match(text, /^cluster_state:ok\r?$/m, `${node.port}`);
      assert.match(text, /^cluster_slots_ok:16384\r?$/m, `${node.port}`);
      assert.match(text, new RegExp(`^cluster_known_nodes:${c.nodes.length}\\r?$`, "m"));
    }
  });

  it("keys in different slots land on different primaries", LONG, async () => {
    const c = await cluster();
    const primaries = await c.primaries();
    // One key in the first slot each primary serves.
    const keys = primaries.map((primary) => keyInSlot(primary.slots[0][0]));
    const owners = await Promise.all(keys.map((key) => c.primaryOf(key)));
    assert.equal(new Set(owners.map((node) => node.port)).size, primaries.length);
    for (const [i, key] of keys.entries()) {
      const owner = owners[i];
      assert.equal(
        await nodeCommand(owner.host, owner.port, ["SET", key, "v", "PX", "60000"]),
        "OK",
      );
      assert.equal(await nodeCommand(owner.host, owner.port, ["GET", key]), "v");
      for (const other of primaries.filter((node) => node.id !== owner.id)) {
        const reply = await nodeCommand(other.host, other.port, ["GET", key]);
        assert.ok(reply instanceof ReplyError);
        assert.equal(reply.message, `MOVED ${keySlot(key)} ${owner.host}:${owner.port}`);
      }
    }
  });

  it("keySlot agrees with CLUSTER KEYSLOT, {hash tags} included", LONG, async () => {
    const c = await cluster();
    assert.equal(crc16("123456789"), 0x31c3); // the CRC16/XMODEM check value
    const random = (alphabet: string, length: number) =>
      Array.from(
        { length },
        () => [...alphabet][Math.floor(Math.random() * [...alphabet].length)],
      ).join("");
    const keys = [
      "",
      "foo",
      "123456789",
      "session:abc",
      "userSession:u1",
      "{user1}:a",
      "{user1}:b",
      "a{user1}b",
      "{}",
      "{}user1",
      "{",
      "}",
      "{user1",
      "user1}",
      "}{user1}",
      "{{user1}}",
      "{a}{b}",
      "{}{a}",
      "a{b}c{d}e",
      "{ü}",
      "ключ:{тег}",
      "emoji:{😀}:x",
    ];
    for (let i = 0; i < 400; i++) {
      keys.push(random("abcdefghijklmnopqrstuvwxyz0123456789:_-", i % 40));
    }
    for (let i = 0; i < 300; i++) keys.push(random("ab{}:x", 1 + (i % 12)));
    for (let i = 0; i < 100; i++) keys.push(random("éü中文😀{}a", 1 + (i % 10)));
    const node = c.nodes[0];
    for (let i = 0; i < keys.length; i += 100) {
      const batch = keys.slice(i, i + 100);
      const slots = await Promise.all(
        batch.map((key) => nodeCommand(node.host, node.port, ["CLUSTER", "KEYSLOT", key])),
      );
      batch.forEach((key, j) => assert.equal(keySlot(key), slots[j], JSON.stringify(key)));
    }
    // Same answer from the bytes as from the string.
    assert.equal(keySlot(new TextEncoder().encode("a{ü}b")), keySlot("a{ü}b"));
  });

  it(
    "an external cluster (REDIS_CLUSTER_URLS) is described but never stopped or killed",
    LONG,
    async () => {
      const c = await cluster();
      const viaEnv = await startRedisCluster({
        env: c.nodes.slice(0, 2).map((node) => `${node.host}:${node.port}`).join(","),
      });
      assert.equal(viaEnv.owned, false);
      assert.equal(viaEnv.dir, undefined);
      assert.deepEqual(
        (await viaEnv.primaries()).map((node) => node.id),
        (await c.primaries()).map((node) => node.id),
      );
      await assert.rejects(
        viaEnv.killPrimaryOf(0),
        /only allowed on a cluster this process started/,
      );
      await viaEnv.stop();
      assert.match(await info(c.nodes[0].port), /^cluster_state:ok\r?$/m);
    },
  );

  it(
    "migrateSlot moves a slot with its keys; the old owner answers MOVED",
    OWNED_ONLY,
    async () => {
      const c = await cluster();
      const key = `${prefix}:moving`;
      const from = await c.primaryOf(key);
      assert.equal(await nodeCommand(from.host, from.port, ["SET", key, "moved"]), "OK");
      const target = (await c.primaries()).find((node) => node.id !== from.id);
      assert.ok(target);
      const moved = await c.migrateSlot(key, target.port);
      assert.equal(moved.from.id, from.id);
      assert.equal(moved.to.id, target.id);
      assert.equal((await c.primaryOf(key)).id, target.id);
      assert.equal(await nodeCommand(target.host, target.port, ["GET", key]), "moved");
      const reply = await nodeCommand(from.host, from.port, ["GET", key]);
      assert.ok(reply instanceof ReplyError);
      assert.equal(reply.message, `MOVED ${keySlot(key)} ${target.host}:${target.port}`);
      for (const node of c.nodes) assert.match(await info(node.port), /^cluster_state:ok\r?$/m);
    },
  );

  it("killing a primary promotes its replica, which keeps the data", OWNED_ONLY, async () => {
    const c = await cluster();
    const key = `${prefix}:failover`;
    const before = await c.primaryOf(key);
    assert.equal(await nodeCommand(before.host, before.port, ["SET", key, "survives"]), "OK");
    // Make sure the replica has the write before its primary dies.
    assert.equal(await nodeCommand(before.host, before.port, ["WAIT", "1", "2000"]), 1);

    const killed = await c.killPrimaryOf(key);
    assert.equal(killed.node.id, before.id);
    assert.equal(killed.slot, keySlot(key));
    assert.equal(killed.replicas.length, 1);
    await assert.rejects(nodeCommand(before.host, before.port, ["PING"]));

    const { newPrimary, ms } = await c.waitForFailover();
    console.log(
      `failover: replica ${newPrimary.port} took over from ${before.port} in ${ms.toFixed(0)} ms ` +
        `(cluster-node-timeout ${c.nodeTimeout} ms)`,
    );
    assert.equal(newPrimary.id, killed.replicas[0].id);
    assert.equal(newPrimary.role, "primary");
    assert.equal((await c.primaryOf(key)).id, newPrimary.id);
    assert.equal(await nodeCommand(newPrimary.host, newPrimary.port, ["GET", key]), "survives");
    for (const node of c.nodes.filter((node) => node.id !== before.id)) {
      assert.match(await info(node.port), /^cluster_state:ok\r?$/m, `${node.port}`);
    }
    const seen = (await c.topology()).find((node) => node.id === before.id);
    assert.equal(seen?.failed, true);
  });

  it(
    "a killed primary restarted with its nodes.conf rejoins as a replica",
    OWNED_ONLY,
    async () => {
      const c = await cluster();
      const down = (await c.topology()).find((node) => node.failed);
      assert.ok(down, "the previous test left a failed node");
      const t0 = performance.now();
      const back = await c.restartNode(down.port);
      console.log(
        `restart: ${down.port} rejoined as a ${back.role} in ${
          (performance.now() - t0).toFixed(0)
        } ms`,
      );
      assert.equal(back.id, down.id);
      assert.equal(back.role, "replica");
      assert.equal(back.failed, false);
      assert.equal((await c.primaries()).length, 3);
    },
  );

  it("stop() leaves no process and no directory behind", OWNED_ONLY, async () => {
    const c = await cluster();
    const dir = c.dir;
    assert.ok(dir && existsSync(dir));
    const pids: number[] = [];
    for (const node of await c.topology()) {
      const text = await nodeCommand(node.host, node.port, ["INFO", "server"]);
      pids.push(Number(/^process_id:(\d+)/m.exec(String(text))?.[1]));
    }
    assert.equal(pids.length, 6);
    assert.ok(pids.every((pid) => pid > 0));
    for (const pid of pids) assert.doesNotThrow(() => process.kill(pid, 0));

    await c.stop();
    assert.equal(existsSync(dir), false);
    for (const pid of pids) {
      assert.throws(() => process.kill(pid, 0), { code: "ESRCH" }, `pid ${pid} still exists`);
    }
    for (const node of c.nodes) await assert.rejects(nodeCommand(node.host, node.port, ["PING"]));
    await c.stop(); // a second stop() is harmless
  });

  it(
    "a process that dies without stop() leaves nothing behind (the watchdog)",
    OWNED_ONLY,
    async () => {
      // The harness run as a program in a child process of this runtime, then SIGKILLed.
      const script = fileURLToPath(new URL("../scripts/redis/cluster.ts", import.meta.url));
      const args = "Deno" in globalThis ? ["run", "-A", script] : [script];
      const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "ignore"] });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk) => {
          out += chunk;
          if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
        });
        child.once("exit", (code) => reject(new Error(`the cluster program exited (${code})`)));
      });
      const started = JSON.parse(line) as { dir: string; pids: number[]; ports: number[] };
      assert.equal(started.pids.length, 6);
      assert.ok(existsSync(started.dir));
      child.kill("SIGKILL");
      await exited;
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const deadline = performance.now() + 10_000;
      while (performance.now() < deadline) {
        if (!started.pids.some(alive) && !existsSync(started.dir)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(started.pids.filter(alive), [], "nodes still running");
      assert.equal(existsSync(started.dir), false, "directory still there");
    },
  );
});
