/**
 * The `memory` mode: Redis memory per live session, and what is left once every session has
 * expired.
 *
 * @module
 */
import type { Admin, Family } from "./clients.ts";
import { runPool, Sessions, sleep } from "./common.ts";
import { populate } from "./prepare.ts";
import type { LoadConfig, MemoryRecord, RetainedRecord } from "./types.ts";

async function settledMemory(admin: Admin): Promise<number> {
  // used_memory moves a little with client buffers: take the minimum of a few reads.
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    best = Math.min(best, await admin.info("memory", "used_memory"));
    await sleep(20);
  }
  return best;
}

/** Waits past every expiry, makes Redis delete what expired, lets its cron settle; reads. */
async function afterExpiry(admin: Admin, until: number, settle: number): Promise<number> {
  while (Date.now() < until) await sleep(Math.min(100, until - Date.now()));
  // SCAN visits every key, and Redis deletes each expired key it visits.
  let cursor = "0";
  for (let guard = 0; guard < 1_000_000; guard++) {
    const [next] = await admin.send(["SCAN", cursor, "COUNT", "1000"]) as [string, string[]];
    cursor = next;
    if (cursor === "0") break;
  }
  // Let serverCron (10 times a second) shrink the emptied hash tables, then read until stable.
  await sleep(settle);
  let after = await settledMemory(admin);
  for (let i = 0; i < settle / 50; i++) {
    await sleep(100);
    const now = await settledMemory(admin);
    if (now === after) break;
    after = now;
  }
  return after;
}

/**
 * Memory per live session is the slope between n/10 and n sessions (so buffers Redis grows once
 * and keeps, which a delta from an empty database would spread over the sessions, cancel out),
 * each point read after every user's sessions were listed once.
 * Retained memory: see below.
 */
export async function memory(config: LoadConfig, families: Family[], admin: Admin) {
  const live: MemoryRecord[] = [];
  const retained: RetainedRecord[] = [];
  const family = families.find((f) => f.kind === "node-redis") ?? families[0];
  const n = config.memorySessions;
  const small = Math.max(1, Math.floor(n / 10));
  for (const [key, subject] of family.prep) {
    if (key === "ours2") continue;
    // Warm up: load scripts, so the script cache is in the baseline.
    const warm = new Sessions(1);
    await subject.setSession(warm.session(0));
    await subject.getSession(warm.id(0));
    await subject.deleteSession(warm.id(0));
    for (const k of config.memoryKs) {
      await admin.send(["FLUSHALL", "SYNC"]);
      const sessions = new Sessions(k);
      const now = Date.now();
      const start = await settledMemory(admin);
      // Each point is measured after every user's sessions were listed once, as Lucia 1.x does on
      // every login: a read that changed an index's encoding (SORT does) would show here.
      const listAll = (count: number) =>
        subject.getSessionsByUserId === undefined ? Promise.resolve() : runPool(
          256,
          Math.ceil(count / k),
          120_000,
          (u) => subject.getSessionsByUserId!(sessions.user(u)),
        );
      await runPool(256, small, 120_000, (i) => subject.setSession(sessions.session(i, now)));
      await listAll(small);
      const first = await settledMemory(admin);
      await runPool(
        256,
        n - small,
        120_000,
        (i) => subject.setSession(sessions.session(small + i, now)),
      );
      await listAll(n);
      const last = await settledMemory(admin);
      live.push({
        subject: key,
        k,
        sessions: n,
        bytesPerSession: (last - first) / (n - small),
        fromEmpty: (last - start) / n,
        keysPerSession: Number(await admin.send(["DBSIZE"])) / n,
      });
    }
  }
  // Retained after expiry: every subject at once would mix their keys, so one at a time.
  // What the keyspace still holds is used_memory after expiry minus used_memory once the
  // database is flushed right after: buffers outside the keyspace (client buffers, the Lua
  // engine's, ...) are the same in both reads, so they cancel out.
  const k = config.memoryKs[config.memoryKs.length - 1];
  for (const [key, subject] of family.prep) {
    if (!config.retainedSubjects.includes(key)) continue;
    await admin.send(["FLUSHALL", "SYNC"]);
    await sleep(100);
    const before = await settledMemory(admin);
    const sessions = new Sessions(k, config.expireMs);
    const start = Date.now();
    await populate(subject, sessions, n);
    // connect-redis rounds its TTL up to whole seconds: wait for that too.
    const after = await afterExpiry(
      admin,
      start + config.expireMs + (key === "connect" ? 1000 : 0) + 100,
      Math.min(300, config.expireMs),
    );
    const keysLeft = Number(await admin.send(["DBSIZE"]));
    await admin.send(["FLUSHALL", "SYNC"]);
    const flushed = await settledMemory(admin);
    retained.push({
      subject: key,
      k,
      sessions: n,
      retainedBytes: after - flushed,
      sinceStart: after - before,
      keysLeft,
    });
  }
  await admin.send(["FLUSHALL", "SYNC"]);
  return { live, retained };
}
