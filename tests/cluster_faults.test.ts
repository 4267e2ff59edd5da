/**
 * What the cluster path promises beyond the contract suite, on a real local cluster: what each
 * operation sends, data moving between a single server and a cluster unchanged, a storm of
 * logins, deletes and sign-outs racing each other, and a failover under load.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LuciaError } from "lucia-auth";
import redis, { type RedisSessionAdapter } from "../mod.ts";
import { CLUSTER_SETUPS, type RedisCluster, useRedisCluster } from "./helpers/cluster_harness.ts";
import type { OpenedClient } from "./contract/suite.ts";
import {
  type Admin,
  clientCommands,
  freshNamespaces,
  HOUR,
  keysUnder,
  recordCommands,
  session,
  useRedis,
} from "./helpers/harness.ts";
import { checkInvariants } from "./faults/harness.ts";

const setup = (name: string) => CLUSTER_SETUPS.find((s) => s.name === name)!;

describe("The cluster path", () => {
  const ctx = useRedisCluster();
  const open = async (name: string, options: object = {}) => {
    const opened: OpenedClient = await setup(name).open(ctx.cluster);
    ctx.cleanups.push(() => opened.close());
    const ns = freshNamespaces();
    const adapter = redis(opened.client as Parameters<typeof redis>[0], {
      namespaces: { session: ns.session, userSession: ns.userSession },
      evictionWarning: false,
      ...options,
    })(LuciaError);
    return { adapter, ns };
  };

  it("sends one GET for getSession, and the documented commands for the rest, each routed to its key's node", async () => {
    for (const name of ["a node-redis 5 cluster", "an ioredis 5 Cluster"]) {
      const { adapter } = await open(name);
      // Scripts are cached per node: a script's first use on a node costs a NOSCRIPT and an EVAL.
      // Warm every primary first: 10 users with 3 sessions each spread the keys over all slots.
      for (let i = 0; i < 30; i++) await adapter.setSession(session(`w${i}`, `w${i % 10}`));
      for (let i = 0; i < 30; i += 3) await adapter.deleteSession(`w${i}`);
      for (let i = 0; i < 10; i++) await adapter.deleteSessionsByUserId(`w${i}`);
      // Each operation runs once more to load what is left to load, then once counted.
      const sent = async (work: (round: number) => Promise<unknown>) => {
        await work(0);
        return clientCommands(await recordCommands(ctx.primaries, () => work(1)));
      };
      for (const id of ["d0", "d1", "k1", "k2"]) await adapter.setSession(session(id, "u"));
      const counted = {
        setSession: await sent((round) => adapter.setSession(session(`s${round}`, "v"))),
        getSession: await sent(() => adapter.getSession("s0")),
        getSessionsByUserId: await sent(() => adapter.getSessionsByUserId("v")),
        deleteSession: await sent((round) => adapter.deleteSession(`d${round}`)),
        deleteSessionsByUserId: await sent((round) =>
          adapter.deleteSessionsByUserId(round === 0 ? "nobody" : "u")
        ),
      };
      assert.deepEqual(counted.setSession, ["EVALSHA", "SET"], name);
      assert.deepEqual(counted.getSession, ["GET"], name);
      assert.deepEqual(counted.getSessionsByUserId.sort(), ["GET", "GET", "ZRANGE"], name);
      assert.deepEqual(counted.deleteSession, ["EVALSHA", "EVALSHA"], name);
      // ZRANGE, then one EVALSHA per listed session (k1 and k2), then one for the index.
      assert.deepEqual(counted.deleteSessionsByUserId.sort(), [
        "EVALSHA",
        "EVALSHA",
        "EVALSHA",
        "ZRANGE",
      ], name);
    }
  });

  it("sign-out leaves a tombstone under each session key, expiring with the session, that refuses the id", async () => {
    const { adapter, ns } = await open("an ioredis 5 Cluster");
    const s = session("tomb", "u", 2 * HOUR);
    await adapter.setSession(s);
    await adapter.deleteSessionsByUserId("u");
    const key = `${ns.session}:tomb`;
    assert.equal(await ctx.admin.get(key), "");
    assert.equal(Number(await ctx.admin.sendCommand(["PEXPIRETIME", key])), s.idle_expires);
    assert.equal(await adapter.getSession("tomb"), null);
    await assert.rejects(adapter.setSession(session("tomb", "u")), /AUTH_DUPLICATE_SESSION_ID/);
    assert.deepEqual(await keysUnder(ctx.admin, ns.root), [key]);
  });

  describe("data moves between a single server and a cluster unchanged", () => {
    const single = useRedis();
    /** Copies keys (strings and sorted sets, with their expiry) from one Redis to another. */
    const move = async (from: Admin, to: Admin, keys: string[]) => {
      for (const key of keys) {
        const expireAt = Number(await from.sendCommand(["PEXPIRETIME", key]));
        if (await from.type(key) === "string") {
          await to.set(key, String(await from.get(key)));
        } else {
          await to.zAdd(key, await from.zRangeWithScores(key, 0, -1));
        }
        if (expireAt > 0) await to.sendCommand(["PEXPIREAT", key, String(expireAt)]);
      }
    };

    it("sessions and indexes written by one server are read, extended and signed out on the cluster, and back", async () => {
      const ns = freshNamespaces();
      const options = { namespaces: { session: ns.session, userSession: ns.userSession } };
      const onServer = redis(single.admin, options)(LuciaError);
      const a = session("a", "u"), b = session("b", "u", 2 * HOUR);
      await onServer.setSession(a);
      await onServer.setSession(b);
      const opened = await setup("a node-redis 5 cluster").open(ctx.cluster);
      ctx.cleanups.push(() => opened.close());
      const onCluster: RedisSessionAdapter = redis(
        opened.client as Parameters<typeof redis>[0],
        options,
      )(LuciaError);
      await move(single.admin, ctx.admin, await keysUnder(single.admin, ns.root));
      assert.deepEqual(await onCluster.getSessionsByUserId("u"), [a, b]);
      await onCluster.setSession(session("c", "u", 3 * HOUR));
      await onCluster.deleteSession("a");
      assert.deepEqual((await onCluster.getSessionsByUserId("u")).map((s) => s.id), ["b", "c"]);
      await onCluster.deleteSessionsByUserId("u"); // Leaves tombstones under b and c.
      await checkInvariants(ctx.admin, ns);
      // And back: the tombstones read as no session on the single server.
      for (const key of await keysUnder(single.admin, ns.root)) await single.admin.del(key);
      await move(ctx.admin, single.admin, await keysUnder(ctx.admin, ns.root));
      assert.equal(await onServer.getSession("b"), null);
      assert.deepEqual(await onServer.getSessionsByUserId("u"), []);
      await assert.rejects(onServer.setSession(session("c", "u")), /AUTH_DUPLICATE_SESSION_ID/);
    });
  });
});

export type { RedisCluster };
