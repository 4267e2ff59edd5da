/**
 * The `durability` option against a real primary and replica (tests/helpers/durability_fixture.ts:
 * the replication link runs through a stalling TCP proxy): revocations resolve once the replica has
 * them, reject with a DurabilityError within the option's timeout while the link stalls (having
 * changed on the primary only what they applied), and none that resolved is lost when the replica
 * is promoted; a control run without the option loses some, so the check can fail.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis4";
import { LuciaError } from "lucia-auth";
import redis, { DurabilityError, RedisOperationError } from "../mod.ts";
import redisV2, { DurabilityError as DurabilityErrorV2 } from "../v2.ts";
import type { RedisServer } from "../scripts/redis/server.ts";
import { type KeyState, snapshot } from "./faults/harness.ts";
import { freshNamespaces, session } from "./helpers/harness.ts";
import type { OpenedClient } from "./contract/suite.ts";
import {
  type FailoverPlan,
  HEALTHY_ATTEMPTS,
  type ProxiedReplica,
  signOutThroughFailover,
  startPrimary,
  startProxiedReplica,
} from "./helpers/durability_fixture.ts";
import { type ClientSetup, setupNamed, setupsIn } from "./helpers/setups.ts";
import { CLUSTER_SETUPS, useRedisCluster } from "./helpers/cluster_harness.ts";
import { nodeCommand } from "../scripts/redis/cluster.ts";
import process from "node:process";

/** The option's timeout in these tests, in ms: how long a revocation waits for the replica. */
const TIMEOUT = 400;
/**
 * How much later than the timeout a rejection may come: scheduling and a round trip. Generous,
 * so that a loaded machine passes: what it rules out is a wait with no end.
 */
const MARGIN = 4 * TIMEOUT;
const DURABILITY = { replicas: 1, timeout: TIMEOUT };
/**
 * Where the link is healthy, the replica confirms as soon as it has the change, so a longer
 * timeout costs nothing and keeps a loaded machine from turning a late confirmation into a
 * DurabilityError.
 */
const HEALTHY = { replicas: 1, timeout: 25 * TIMEOUT };

/** A sign-out run: 3 rejected sign-outs' worth of stall with the option (about 1.2 s). */
const PLAN: FailoverPlan = {
  users: 40,
  sessionsPerUser: 3,
  beforeStall: 20,
  stallMs: 2.5 * TIMEOUT,
};

const SETUPS: ClientSetup[] = [
  setupNamed("node-redis 5"),
  setupNamed("ioredis 5"),
  ...setupsIn("Bun"),
];

type Admin = ReturnType<typeof createClient>;

/** Runs `work` and returns how long it took to reject, and with what. */
async function rejection(work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  assert.fail("expected a rejection");
}

/** Asserts a DurabilityError for `operation` that came after the timeout, and not much later. */
function assertDurabilityError(
  { error, ms }: { error: unknown; ms: number },
  operation: string,
): void {
  assert.ok(error instanceof DurabilityError, `a DurabilityError, got ${String(error)}`);
  assert.ok(error instanceof RedisOperationError);
  assert.equal(error.name, "DurabilityError");
  assert.equal(error.operation, operation);
  assert.deepEqual([error.confirmed, error.replicas, error.timeout], [0, 1, TIMEOUT]);
  assert.match(
    error.message,
    new RegExp(`^${operation} is applied on the primary, but 0 of 1 replica asked for`),
  );
  assert.match(error.message, /within 400 ms/);
  assert.match(error.message, /a failover before the replicas catch up could undo it/);
  assert.match(error.message, /so a retry is safe\.$/);
  assert.ok(ms >= TIMEOUT * 0.95, `rejected after ${ms.toFixed(0)} ms, before the timeout`);
  assert.ok(ms <= TIMEOUT + MARGIN, `rejected after ${ms.toFixed(0)} ms`);
}

/** `before` less the keys `removed`, with `entries` dropped from the index `index`. */
function without(
  before: Map<string, KeyState>,
  removed: string[],
  index?: { key: string; ids: string[] },
): Map<string, KeyState> {
  const out = new Map(before);
  for (const key of removed) out.delete(key);
  if (index) {
    const state = out.get(index.key)!;
    const value = (state.value as { value: string; score: number }[])
      .filter((entry) => !index.ids.includes(entry.value));
    out.set(index.key, { ...state, value });
  }
  return out;
}

describe("durability: WAIT after every revocation", () => {
  let primary: RedisServer;
  let admin: Admin;
  before(async () => {
    primary = await startPrimary();
    admin = createClient({ url: primary.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.quit();
    await primary?.stop();
  });

  for (const setup of SETUPS) {
    describe(`over ${setup.name}`, { skip: setup.skip?.reason }, () => {
      const opened: OpenedClient[] = [];
      const replicas: ProxiedReplica[] = [];
      const ownPrimaries: RedisServer[] = [];
      let replica: ProxiedReplica;
      let onReplica: Admin;
      before(async () => {
        replica = await startProxiedReplica(primary);
        replicas.push(replica);
        onReplica = createClient({ url: replica.server.url });
        await onReplica.connect();
      });
      after(async () => {
        await onReplica?.quit();
        for (const o of opened) await o.close();
        for (const r of replicas) await r.stop();
        for (const p of ownPrimaries) await p.stop();
      });
      const client = async () => {
        const o = await setup.open(primary);
        opened.push(o);
        return o.client as Parameters<typeof redis>[0];
      };
      const adapterOn = async (
        ns: { session: string; userSession: string },
        options: Parameters<typeof redis>[1] = {},
      ) =>
        redis(await client(), {
          namespaces: { session: ns.session, userSession: ns.userSession },
          evictionWarning: false,
          ...options,
        })(LuciaError);

      it("with the link healthy, revocations resolve, and the replica has them as they do", async () => {
        const ns = freshNamespaces();
        const adapter = await adapterOn(ns, { durability: HEALTHY, maxSessionsPerUser: 2 });
        await adapter.setSession(session("s1", "u", 1000 * 60));
        await adapter.setSession(session("s2", "u", 2000 * 60));
        await adapter.setSession(session("v1", "v"));
        await adapter.setSession(session("v2", "v"));
        // No polling: the replica has each change by the time the call resolves.
        await adapter.deleteSession("s1");
        assert.equal(await onReplica.get(`${ns.session}:s1`), null);
        await adapter.deleteSessionsByUserId("v");
        assert.deepEqual(await onReplica.mGet([`${ns.session}:v1`, `${ns.session}:v2`]), [
          null,
          null,
        ]);
        // The cap of 2 signs s2 out (it expires first) when s3 and s4 come.
        await adapter.setSession(session("s3", "u"));
        await adapter.setSession(session("s4", "u"));
        assert.equal(await onReplica.get(`${ns.session}:s2`), null);
        assert.deepEqual(await onReplica.zRange(`${ns.userSession}:u`, 0, -1), ["s3", "s4"]);
      });

      it("while the link stalls, revocations reject with a DurabilityError within the timeout, changing only what they applied", async () => {
        const ns = freshNamespaces();
        const adapter = await adapterOn(ns, { durability: DURABILITY });
        const capped = await adapterOn(ns, { durability: DURABILITY, maxSessionsPerUser: 1 });
        const v2 = redisV2(await client(), {
          session: ns.session,
          userSessions: ns.userSession,
          evictionWarning: false,
          durability: DURABILITY,
        })();
        for (const [id, user] of [["a1", "u"], ["a2", "u"], ["b1", "w"], ["c1", "x"]]) {
          await adapter.setSession(session(id, user));
        }
        await adapter.setSession(session("d1", "y", 1000 * 60));
        const key = (id: string) => `${ns.session}:${id}`;
        replica.proxy.stall();
        try {
          let before = await snapshot(admin, ns.root);
          assertDurabilityError(
            await rejection(() => adapter.deleteSession("a1")),
            "deleteSession",
          );
          assert.deepEqual(
            await snapshot(admin, ns.root),
            without(before, [key("a1")], { key: `${ns.userSession}:u`, ids: ["a1"] }),
            "deleteSession applied its change on the primary, and nothing else",
          );

          before = await snapshot(admin, ns.root);
          assertDurabilityError(
            await rejection(() => adapter.deleteSessionsByUserId("w")),
            "deleteSessionsByUserId",
          );
          assert.deepEqual(
            await snapshot(admin, ns.root),
            without(before, [key("b1"), `${ns.userSession}:w`]),
          );

          // The Lucia v2 entry throws the same error.
          const v2Error = await rejection(() => v2.deleteSession("c1"));
          assertDurabilityError(v2Error, "deleteSession");
          assert.ok(v2Error.error instanceof DurabilityErrorV2);

          // Under a cap, a login may sign sessions out: it waits too (d2 signs d1 out).
          before = await snapshot(admin, ns.root);
          assertDurabilityError(
            await rejection(() => capped.setSession(session("d2", "y"))),
            "setSession",
          );
          assert.equal(await admin.get(key("d1")), null);
          assert.deepEqual(await admin.zRange(`${ns.userSession}:y`, 0, -1), ["d2"]);

          // Without a cap, a login does not wait: with the link stalled, a WAIT would reject.
          await adapter.setSession(session("e1", "z"));
          assert.notEqual(await admin.get(key("e1")), null);

          // A retry on the same client waits for the first write too, and so rejects again.
          assertDurabilityError(
            await rejection(() => adapter.deleteSession("a1")),
            "deleteSession",
          );
        } finally {
          replica.proxy.resume();
        }
        // Once the link is back, a retry resolves, and the replica has the change. The replica
        // catches up on its own time (slower on a loaded machine), so the retry is repeated, as
        // the README advises, up to HEALTHY_ATTEMPTS times.
        for (let attempt = 1;; attempt++) {
          const error = await adapter.deleteSession("a1").then(() => undefined, (e) => e);
          if (error === undefined) break;
          if (!(error instanceof DurabilityError) || attempt === HEALTHY_ATTEMPTS) throw error;
        }
        assert.equal(await onReplica.get(key("a1")), null);
      });

      it("after a failover, no acknowledged sign-out is lost with the option; without it, some are", async () => {
        // A primary of its own for each run: WAIT counts any replica, and the file's replica
        // would confirm every write while the one to be promoted is cut off.
        const run = async (options: Parameters<typeof redis>[1]) => {
          const own = await startPrimary();
          try {
            const fresh = await startProxiedReplica(own);
            replicas.push(fresh);
            const ns = freshNamespaces();
            const o = await setup.open(own);
            opened.push(o);
            const adapter = redis(o.client as Parameters<typeof redis>[0], {
              namespaces: { session: ns.session, userSession: ns.userSession },
              evictionWarning: false,
              ...options,
            })(LuciaError);
            return await signOutThroughFailover(adapter, fresh, ns, PLAN);
          } finally {
            ownPrimaries.push(own);
          }
        };
        const durable = await run({ durability: DURABILITY });
        const control = await run({});
        console.log(
          `${setup.name}: with durability, ${durable.acknowledged} sign-outs acknowledged, ` +
            `${durable.rejected} rejected, ${durable.cameBack} came back; without, ` +
            `${control.acknowledged} acknowledged (${control.duringStall} during the stall), ` +
            `${control.cameBack} came back with ${control.aliveSessions} sessions`,
        );
        assert.equal(durable.acknowledged, PLAN.beforeStall, "every sign-out before the stall");
        assert.ok(durable.rejected >= 1, "sign-outs during the stall were rejected");
        assert.equal(durable.cameBack, 0, "no acknowledged sign-out came back");
        assert.equal(durable.aliveSessions, 0);
        assert.ok(control.cameBack > 0, "without the option, acknowledged sign-outs came back");
      });
    });
  }
});

/**
 * On a cluster each WAIT must reach the primary that took the write: with one primary's replica
 * frozen (SIGSTOP, well within the cluster's node timeout), a revocation written there rejects,
 * and revocations whose keys all live on the other primaries resolve. A WAIT sent to a random
 * node (what a cluster client does with a command without keys) would fail one or the other.
 */
describe("durability on a Redis Cluster: each WAIT goes to the primary that took the write", () => {
  const ctx = useRedisCluster();
  /** Rejections to wait for while frozen: each lasts the timeout. */
  const CLUSTER_TIMEOUT = 200;
  /** Attempts of the sign-out after the replica resumes: each lasts at most CLUSTER_TIMEOUT. */
  const RESUME_ATTEMPTS = 25;

  for (const name of ["a node-redis 5 cluster", "an ioredis 5 Cluster"]) {
    it(`over ${name}`, async () => {
      const cluster = ctx.cluster;
      const opened = await CLUSTER_SETUPS.find((s) => s.name === name)!.open(cluster);
      ctx.cleanups.push(() => opened.close());
      const ns = freshNamespaces();
      const adapter = redis(opened.client as Parameters<typeof redis>[0], {
        namespaces: { session: ns.session, userSession: ns.userSession },
        evictionWarning: false,
        durability: { replicas: 1, timeout: CLUSTER_TIMEOUT },
      })(LuciaError);
      const frozen = await cluster.primaryOf(`${ns.session}:on-frozen`);
      const elsewhere: string[] = [];
      for (let i = 0; elsewhere.length < 4; i++) {
        const nodes = await Promise.all(
          [`${ns.session}:other${i}`, `${ns.userSession}:user${i}`].map((k) =>
            cluster.primaryOf(k)
          ),
        );
        if (nodes.every((node) => node.id !== frozen.id)) elsewhere.push(`other${i}`);
      }
      await adapter.setSession(session("on-frozen", "someone"));
      for (const id of elsewhere) await adapter.setSession(session(id, `user${id.slice(5)}`));
      const replica = (await cluster.topology()).find((n) => n.primaryId === frozen.id);
      assert.ok(replica, "the primary has a replica");
      const info = String(await nodeCommand(replica.host, replica.port, ["INFO", "server"]));
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
      process.kill(pid, "SIGSTOP");
      try {
        const started = performance.now();
        const error = await adapter.deleteSession("on-frozen").then(() => undefined, (e) => e);
        const ms = performance.now() - started;
        assert.ok(error instanceof DurabilityError, `a DurabilityError, got ${String(error)}`);
        assert.match(error.message, /^deleteSession is applied on the primary, but 0 of 1/);
        assert.ok(ms >= CLUSTER_TIMEOUT * 0.95, `rejected after ${ms.toFixed(0)} ms`);
        assert.ok(ms <= CLUSTER_TIMEOUT * 5, `rejected after ${ms.toFixed(0)} ms`);
        // Their WAITs go to healthy primaries: each resolves, at worst after a retry when a
        // loaded machine makes a replica late. Sent to the frozen shard's primary instead, every
        // attempt would reject.
        for (const id of elsewhere) {
          for (let attempt = 1;; attempt++) {
            const error = await adapter.deleteSession(id).then(() => undefined, (e) => e);
            if (error === undefined) break;
            if (!(error instanceof DurabilityError) || attempt === HEALTHY_ATTEMPTS) throw error;
          }
        }
      } finally {
        process.kill(pid, "SIGCONT");
      }
      // The resumed replica catches up on its own time (slower on a loaded machine): a
      // DurabilityError means the sign-out is applied on the primary, so it is retried, as the
      // README advises, until a replica confirms; each attempt lasts at most the timeout.
      for (let attempt = 1;; attempt++) {
        const error = await adapter.deleteSessionsByUserId("someone").then(
          () => undefined,
          (e) => e,
        );
        if (error === undefined) break;
        if (!(error instanceof DurabilityError) || attempt === RESUME_ATTEMPTS) throw error;
      }
    });
  }
});
