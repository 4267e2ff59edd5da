/**
 * One table of stored values through the three places that convert an earlier adapter's index:
 * the single-server scripts (the adapter's first write to a 1.x list index), the Redis Cluster
 * path's key-by-key conversion (`convertLegacyIndex`, run here over a single server: its steps are
 * one-key commands and scripts), and `migrate --dry-run`'s prediction (`legacyEntryAction`). All
 * three must keep, drop and delete the same entries.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { redis } from "../mod.ts";
import { toConnection } from "../src/clients/table.ts";
import { legacyEntryAction } from "../src/core/migrate_rules.ts";
import { convertLegacyIndex } from "../src/store/cluster_legacy.ts";
import { keysFor } from "../src/core/keys.ts";
import { scriptRunner } from "../src/store/script_runner.ts";
import { freshNamespaces, HOUR, useRedis } from "./helpers/harness.ts";

const ctx = useRedis();
const USER = 'u\n"é';

/** Stored values for the ids of one legacy index of USER; `ttl` ms for the key (none: -1). */
function table(now: number): { id: string; value: string; ttl?: number }[] {
  const deep = JSON.parse("[".repeat(1200) + "]".repeat(1200));
  const mine = (extra: object) => JSON.stringify({ user_id: USER, ...extra });
  return [
    { id: "live", value: mine({ id: "live", idle_expires: now + HOUR }) },
    { id: "dead", value: mine({ id: "dead", idle_expires: now - HOUR }) },
    { id: "surrogate", value: mine({ device: "Pixel \uD83D", idle_expires: now + HOUR }) },
    { id: "deep", value: mine({ deep, idle_expires: now + 2 * HOUR }) },
    {
      id: "legacyOrder",
      value: JSON.stringify({ id: "x", user_id: USER, idle_expires: now + 3 * HOUR }),
    },
    { id: "other", value: JSON.stringify({ user_id: "someone else", idle_expires: now + HOUR }) },
    { id: "number", value: JSON.stringify({ user_id: 5, idle_expires: now + HOUR }), ttl: HOUR },
    { id: "null", value: JSON.stringify({ user_id: null }), ttl: HOUR },
    { id: "garbage", value: "not json", ttl: HOUR },
    { id: "noExpiry", value: "not json either" },
    { id: "farIdle", value: mine({ idle_expires: 9e15 }), ttl: HOUR },
    { id: "tombstone", value: "", ttl: HOUR },
  ];
}

async function seed(prefix: { session: string; userSession: string }, now: number) {
  const rows = table(now);
  for (const { id, value, ttl } of rows) {
    const key = `${prefix.session}:${id}`;
    await ctx.admin.set(key, value);
    if (ttl !== undefined) await ctx.admin.pExpire(key, ttl);
  }
  await ctx.admin.rPush(`${prefix.userSession}:${USER}`, [...rows.map((r) => r.id), "missing"]);
  return rows;
}

/** The ids in the user's index after a conversion, and which session keys are left. */
async function outcome(prefix: { session: string; userSession: string }, ids: string[]) {
  const index = await ctx.admin.zRange(`${prefix.userSession}:${USER}`, 0, -1);
  const left = [];
  for (const id of ids) if (await ctx.admin.exists(`${prefix.session}:${id}`)) left.push(id);
  return { index: index.filter((id) => id !== "new").sort(), left: left.sort() };
}

describe("converting a legacy index", () => {
  it("keeps, drops and deletes the same entries on a single server, a cluster and in a dry run", async () => {
    const now = Date.now();
    const ids = table(now).map((r) => r.id);

    const single = freshNamespaces();
    await seed(single, now);
    const namespaces = { session: single.session, userSession: single.userSession };
    const adapter = redis(ctx.admin, { namespaces })();
    await adapter.setSession({
      id: "new",
      user_id: USER,
      active_expires: now + HOUR,
      idle_expires: now + HOUR,
    });
    const bySingle = await outcome(single, ids);

    const cluster = freshNamespaces();
    await seed(cluster, now);
    const connection = toConnection(ctx.admin);
    const keys = keysFor(
      { value: cluster.session, name: "session", fallback: "session" },
      { value: cluster.userSession, name: "userSession", fallback: "userSession" },
    );
    const converted = await convertLegacyIndex(connection, keys, scriptRunner(connection), USER);
    assert.equal(converted?.kind, "list");
    const byCluster = await outcome(cluster, ids);

    const rows = table(now);
    const predicted = rows.filter((r) => legacyEntryAction(r.value, USER, now) === "keep")
      .map((r) => r.id).sort();

    assert.deepEqual(bySingle.index, predicted);
    assert.deepEqual(byCluster.index, predicted);
    assert.deepEqual(byCluster.left, bySingle.left);
    assert.ok(!bySingle.left.includes("dead"), "the dead session is deleted");
    assert.ok(bySingle.index.includes("surrogate") && bySingle.index.includes("deep"));
    assert.ok(!bySingle.index.includes("other") && bySingle.left.includes("other"));
    assert.ok(bySingle.index.includes("garbage") && bySingle.index.includes("number"));
  });
});
