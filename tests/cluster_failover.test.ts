/**
 * A failover under load: a primary is killed (SIGKILL) while logins and reads flow to its slots.
 * Every call settles, with a result or an error (the adapter's deadline bounds what the client
 * does not); once its replica has taken over, the client finds it (node-redis 4 and 5 are nudged
 * by the adapter, node-redis 6 and ioredis find it themselves), and then the whole contract suite
 * runs over the same client, on the failed-over cluster: scripts are loaded again where needed.
 */
import assert from "node:assert/strict";
import { LuciaError } from "lucia-auth";
import redis from "../mod.ts";
import { CLUSTER_SETUPS, type TestCluster } from "./helpers/cluster_harness.ts";
import { clusterContractSuite } from "./contract/cluster_suite.ts";
import { freshNamespaces, sleep } from "./helpers/harness.ts";

const HOUR = 60 * 60 * 1000;

/** Load, kill the primary of the busiest index, wait for the failover, check, recover. */
async function failover(client: unknown, name: string, ctx: TestCluster): Promise<void> {
  const ns = freshNamespaces();
  const adapter = redis(client as Parameters<typeof redis>[0], {
    namespaces: { session: ns.session, userSession: ns.userSession },
    evictionWarning: false,
    deadline: 2000,
  })(LuciaError);
  const users = Array.from({ length: 6 }, (_, i) => `user${i}`);
  let calls = 0, ok = 0, failed = 0, maxMs = 0, next = 0;
  let running = true;
  const worker = async () => {
    while (running) {
      const started = performance.now();
      const user = users[next % users.length];
      const now = Date.now();
      const id = `fo${next++}`;
      calls++;
      try {
        await adapter.setSession({
          id,
          user_id: user,
          active_expires: now + HOUR / 2,
          idle_expires: now + HOUR,
        });
        await adapter.getSession(id);
        await adapter.getSessionsByUserId(user);
        ok++;
      } catch {
        failed++;
        await sleep(20);
      }
      maxMs = Math.max(maxMs, performance.now() - started);
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await sleep(500);
  const killed = await ctx.cluster.killPrimaryOf(`${ns.userSession}:${users[0]}`);
  const { ms } = await ctx.cluster.waitForFailover(killed);
  // Recovered: a write to the failed-over slots succeeds again.
  const recoverFrom = performance.now();
  let recovered = -1;
  while (recovered < 0 && performance.now() - recoverFrom < 20_000) {
    const now = Date.now();
    await adapter.setSession({
      id: `probe${next++}`,
      user_id: users[0],
      active_expires: now + HOUR / 2,
      idle_expires: now + HOUR,
    }).then(() => recovered = performance.now() - killed.killedAt, () => sleep(100));
  }
  running = false;
  // Every call settles: none may still be pending 10 s after the load stopped.
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(workers),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name}: calls never settled`)), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.ok(recovered >= 0, `${name} did not recover within 20 s of the failover`);
  assert.ok(ok > 0 && failed > 0);
  console.log(
    `cluster failover, ${name}: primary killed, replica took over in ${Math.round(ms)} ms; ` +
      `${calls} logins under way, ${ok} ok, ${failed} rejected, all settled (longest ` +
      `${Math.round(maxMs)} ms); writes to its slots succeeded again ${
        Math.round(recovered)
      } ms after the kill`,
  );
  await ctx.reconnect();
}

for (
  const name of [
    "a node-redis 4 cluster",
    "a node-redis 5 cluster",
    "a node-redis 6 cluster",
    "an ioredis 5 Cluster",
  ]
) {
  const setup = CLUSTER_SETUPS.find((s) => s.name === name)!;
  clusterContractSuite(
    `${name}, after a failover under load`,
    setup.open,
    (client, ctx) => failover(client, name, ctx),
  );
}
