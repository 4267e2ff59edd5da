/**
 * What the `cache` option saves Redis and costs, on loopback, against private redis-servers only
 * (never REDIS_URL):
 *
 * 1. The Lucia mix (per 1,000 requests: 950 getSession, 20 setSession, 20 deleteSession, 8
 *    getSessionsByUserId, 2 deleteSessionsByUserId; research/server/mix.ts's schedule), one request
 *    after another over node-redis 4, with getSession hitting sessions read before with
 *    probability 50 %, 90 % or 99 % (the others read a session never read before). Redis's work
 *    per 1,000 requests from `INFO commandstats` (the top-level commands the subject sent, plus the
 *    cache's own `PING`, `CLIENT` and `SUBSCRIBE`), for 2.1.2, this adapter's Lucia v2 entry
 *    without the cache, and with `cache: { maxEntries: 100000, maxAge: 60000 }`.
 * 2. getSession in-process: a hit (median µs of batches of 1,000 calls), a miss with the cache
 *    (a session never read) and the same read without the cache (median µs of single calls).
 * 3. The invalidation stream's server cost: setSession writes with 0, 1, 4 and 16 cached
 *    instances tracking (each its own connection), the redis-server main thread's CPU time per
 *    write (Linux schedstat), and `INFO commandstats` µs per write.
 * 4. Revocation latency: 4 cached instances hold a session; another client deletes it; each
 *    instance polls getSession (yielding to I/O between polls) until it reads null; the time from
 *    the write's acknowledgement to that, p50 and p99 over all instances and revocations.
 *
 * ```sh
 * deno run -A research/cache.ts            # 20,000 mix requests per run, 300 revocations
 * deno run -A research/cache.ts --smoke    # a quick run of every part with small figures
 * ```
 *
 * Prints markdown tables (research/CACHE_RESULTS.md records a run).
 *
 * @module
 */
import process from "node:process";
import { setImmediate } from "node:timers";
import { createClient } from "redis4";
import { createClient as createClient5 } from "redis5";
import { redis as redis212 } from "adapter-session-redis-v2";
import redisV2 from "../v2.ts";
import { startRedisServer } from "../scripts/redis/server.ts";
import { countingClient } from "../bench/counting.ts";
import { mixSchedule } from "./server/mix.ts";
import { parseCommandStats, threadCpuNs, topLevel } from "./server/stats.ts";

const SMOKE = process.argv.includes("--smoke");
const REQUESTS = SMOKE ? 2_000 : 20_000;
const USERS = SMOKE ? 500 : 3_000;
const PER_USER = 5;
const HIT_RATIOS = [0.5, 0.9, 0.99];
const ROUNDS = SMOKE ? 1 : 3;
const HITS = SMOKE ? 10_000 : 200_000;
const MISSES = SMOKE ? 500 : 3_000;
const WRITES = SMOKE ? 1_000 : 10_000;
const TRACKERS = [0, 1, 4, 16];
const REVOCATIONS = SMOKE ? 30 : 300;
const INSTANCES = 4;
const CACHE = { maxEntries: 100_000, maxAge: 60_000 };
const HOUR = 3_600_000;

type Session = { id: string; user_id: string; active_expires: number; idle_expires: number };
interface Adapter {
  setSession(s: Session): Promise<void>;
  getSession(id: string): Promise<{ id: string } | null>;
  getSessionsByUserId(userId: string): Promise<{ id: string }[]>;
  deleteSession(id: string): Promise<void>;
  deleteSessionsByUserId(userId: string): Promise<void>;
}
type Admin = ReturnType<typeof createClient>;

const session = (id: string, user: string): Session => ({
  id,
  user_id: user,
  active_expires: Date.now() + HOUR,
  idle_expires: Date.now() + 2 * HOUR,
});

/** A small seeded generator (mulberry32), so that every subject gets the same requests. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

async function stats(admin: Admin) {
  return parseCommandStats(await admin.sendCommand(["INFO", "commandstats"]) as string);
}

/** The commands the cache's own connection sends (none of the subjects sends them). */
const LINK_COMMANDS = ["ping", "client|id", "client|tracking", "subscribe"];

/** Waits until `adapter` answers a read of `id` without a GET reaching the server. */
async function untilCached(admin: Admin, adapter: Adapter, id: string): Promise<void> {
  for (let i = 0; i < 2_500; i++) {
    await adapter.getSession(id);
    const before = (await stats(admin)).get("get")?.calls ?? 0;
    await adapter.getSession(id);
    if (((await stats(admin)).get("get")?.calls ?? 0) === before) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error("the cache never came up");
}

/** Redis µs per 1,000 requests: in all, for reads, for writes, for the cache's own link. */
interface MixFigures {
  usPer1000: number;
  reads: number;
  writes: number;
  link: number;
  /** The share of getSession that sent no GET. */
  hits: number;
}

/** The commands the subjects send to read. */
const READS = new Set(["get", "mget", "zrange", "smembers"]);

/** One mix run: Redis µs per 1,000 requests, and the share of getSession that sent no GET. */
async function mixRun(
  url: string,
  admin: Admin,
  kind: "2.1.2" | "ours" | "ours+cache",
  hitRatio: number,
): Promise<MixFigures> {
  await admin.sendCommand(["FLUSHALL"]);
  const raw = createClient({ url });
  await raw.connect();
  const { client, counts } = countingClient(raw);
  // deno-lint-ignore no-explicit-any
  const adapter: Adapter = kind === "2.1.2" ? (redis212 as any)(client)() : redisV2(
    client,
    kind === "ours+cache" ? { cache: CACHE } : {},
  )() as unknown as Adapter;
  const rnd = prng(42);
  const owner = new Map<string, string>();
  const byUser = new Map<string, Set<string>>();
  const add = (id: string, user: string) => {
    owner.set(id, user);
    if (!byUser.has(user)) byUser.set(user, new Set());
    byUser.get(user)!.add(id);
  };
  const seeds: Session[] = [];
  for (let u = 0; u < USERS; u++) {
    for (let j = 0; j < PER_USER; j++) seeds.push(session(`s${u}-${j}`, `u${u}`));
  }
  for (let i = 0; i < seeds.length; i += 100) {
    await Promise.all(seeds.slice(i, i + 100).map((s) => adapter.setSession(s)));
  }
  for (const s of seeds) add(s.id, s.user_id);
  // Sessions not read yet (a miss when read), and sessions read before (a hit when read).
  const cold = seeds.map((s) => s.id).sort(() => rnd() - 0.5);
  const hot: string[] = [];
  const forget = (id: string) => {
    const at = hot.indexOf(id);
    if (at >= 0) hot.splice(at, 1);
    const user = owner.get(id);
    if (user !== undefined) byUser.get(user)?.delete(id);
    owner.delete(id);
  };
  // Every operation once, on a user outside the run, so that the scripts are loaded (EVAL) before.
  await adapter.setSession(session("warm", "warm"));
  await adapter.getSession("warm");
  await adapter.getSessionsByUserId("warm");
  await adapter.deleteSession("warm");
  await adapter.setSession(session("warm2", "warm"));
  await adapter.deleteSessionsByUserId("warm");
  if (kind === "ours+cache") {
    const first = cold.pop()!;
    await untilCached(admin, adapter, first);
    hot.push(first);
  }
  await admin.sendCommand(["CONFIG", "RESETSTAT"]);
  counts.byName.clear();
  const schedule = mixSchedule(7);
  let gets = 0;
  let next = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const op = schedule[i % schedule.length];
    const user = `u${Math.floor(rnd() * USERS)}`;
    if (op === "getSession") {
      gets++;
      const id = rnd() < hitRatio && hot.length > 0
        ? hot[Math.floor(rnd() * hot.length)]
        : cold.pop();
      if (id === undefined) throw new Error("the run needs more seeded sessions");
      if (!hot.includes(id)) hot.push(id);
      await adapter.getSession(id);
    } else if (op === "setSession") {
      const id = `n${next++}`;
      await adapter.setSession(session(id, user));
      add(id, user);
      cold.push(id);
    } else if (op === "deleteSession") {
      const id = hot.length > 0 ? hot[Math.floor(rnd() * hot.length)] : cold.pop()!;
      await adapter.deleteSession(id);
      forget(id);
    } else if (op === "getSessionsByUserId") {
      await adapter.getSessionsByUserId(user);
    } else {
      for (const id of [...(byUser.get(user) ?? [])]) forget(id);
      await adapter.deleteSessionsByUserId(user);
    }
  }
  const after = await stats(admin);
  const sent = new Map([...counts.byName].map(([name, n]) => [name.toLowerCase(), n]));
  const top = topLevel(after, sent);
  let reads = 0;
  for (const [name, { usec }] of Object.entries(top.commands)) if (READS.has(name)) reads += usec;
  let link = 0;
  for (const name of LINK_COMMANDS) link += after.get(name)?.usec ?? 0;
  const getsSent = sent.get("get") ?? 0;
  await raw.quit();
  const per1000 = (us: number) => us / REQUESTS * 1000;
  return {
    usPer1000: per1000(top.usec + link),
    reads: per1000(reads),
    writes: per1000(top.usec - reads),
    link: per1000(link),
    hits: 1 - getsSent / gets,
  };
}

async function main() {
  const server = await startRedisServer({ env: "" });
  const admin = createClient({ url: server.url });
  await admin.connect();
  const out: string[] = [];
  const print = (line: string) => {
    out.push(line);
    console.log(line);
  };
  try {
    print(
      `Redis ${server.version}, ${
        SMOKE ? "smoke run" : "full run"
      }, ${REQUESTS} requests per mix run\n`,
    );

    // Interleaved rounds, the median run of each subject (by its total) reported.
    // The access pattern is part of each row: at 50 % hits, half the reads go to sessions never
    // read before, which costs Redis more per command (colder memory) than reading the same few
    // again. So every subject runs each pattern, and each cached row is compared with 2.1.2 on
    // the same pattern.
    type Kind = "2.1.2" | "ours" | "ours+cache";
    const cells: [string, Kind, number][] = HIT_RATIOS.flatMap((h): [string, Kind, number][] => [
      [`2.1.2 @ ${h * 100} %`, "2.1.2", h],
      [`ours, no cache @ ${h * 100} %`, "ours", h],
      [`ours + cache @ ${h * 100} %`, "ours+cache", h],
    ]);
    const runs = new Map<string, MixFigures[]>(cells.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Each round in another order (rotated), so that no subject always follows the same one.
      const order = [...cells.slice(round % cells.length), ...cells.slice(0, round % cells.length)];
      for (const [name, kind, h] of order) {
        runs.get(name)!.push(await mixRun(server.url, admin, kind, h));
      }
    }
    const medianRun = (name: string) => {
      const all = [...runs.get(name)!].sort((a, b) => a.usPer1000 - b.usPer1000);
      return all[Math.floor(all.length / 2)];
    };
    print(`Redis µs per 1,000 requests of the mix (median of ${ROUNDS} interleaved runs):\n`);
    print(
      "| reads of sessions read before | subject | total | reads | writes | cache link | ÷ 2.1.2 | getSession without a GET |",
    );
    print("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const [name, kind, h] of cells) {
      const m = medianRun(name);
      const base = medianRun(`2.1.2 @ ${h * 100} %`);
      print(
        `| ${h * 100} % | ${name.split(" @ ")[0]} | ${m.usPer1000.toFixed(0)} | ${
          m.reads.toFixed(0)
        } | ${m.writes.toFixed(0)} | ${m.link.toFixed(0)} | ${
          (m.usPer1000 / base.usPer1000).toFixed(2)
        }× | ${kind === "ours+cache" ? `${(m.hits * 100).toFixed(1)} %` : "—"} |`,
      );
    }
    print("");

    // 2. getSession in-process.
    await admin.sendCommand(["FLUSHALL"]);
    const c = createClient5({ url: server.url });
    await c.connect();
    const cachedAdapter = redisV2(c, { cache: CACHE })() as unknown as Adapter;
    const plainAdapter = redisV2(c)() as unknown as Adapter;
    await plainAdapter.setSession(session("hit", "u"));
    await untilCached(admin, cachedAdapter, "hit");
    const batches: number[] = [];
    for (let b = 0; b < HITS / 1000; b++) {
      const t = performance.now();
      for (let i = 0; i < 1000; i++) await cachedAdapter.getSession("hit");
      batches.push((performance.now() - t) / 1000 * 1000);
    }
    for (let i = 0; i < MISSES; i++) await plainAdapter.setSession(session(`m${i}`, "u"));
    const missCached: number[] = [];
    const missPlain: number[] = [];
    for (let i = 0; i < MISSES; i++) {
      // In turns, each first every other time: neither gains from going second.
      for (
        const [adapter, into] of i % 2 === 0
          ? [[cachedAdapter, missCached], [plainAdapter, missPlain]] as const
          : [[plainAdapter, missPlain], [cachedAdapter, missCached]] as const
      ) {
        const t = performance.now();
        await adapter.getSession(`m${i}`);
        into.push((performance.now() - t) * 1000);
      }
    }
    print("| getSession | median µs |");
    print("| --- | --- |");
    print(`| hit (batches of 1,000, ${HITS} calls) | ${median(batches).toFixed(2)} |`);
    print(`| miss, with the cache (${MISSES} calls) | ${median(missCached).toFixed(1)} |`);
    print(`| the same reads without the cache | ${median(missPlain).toFixed(1)} |\n`);

    // 3. The invalidation stream's server cost.
    print(
      "| tracking instances | server CPU µs per write (setSession) | commandstats µs per write |",
    );
    print("| --- | --- | --- |");
    const writer = redisV2(c)() as unknown as Adapter;
    let w = 0;
    for (const n of TRACKERS) {
      const trackers: Adapter[] = [];
      for (let i = 0; i < n; i++) {
        const t = redisV2(c, { cache: CACHE })() as unknown as Adapter;
        await untilCached(admin, t, "hit");
        trackers.push(t);
      }
      await admin.sendCommand(["CONFIG", "RESETSTAT"]);
      const cpu0 = threadCpuNs(server.pid);
      for (let i = 0; i < WRITES; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, () => writer.setSession(session(`w${w++}`, "writer"))),
        );
      }
      const cpu1 = threadCpuNs(server.pid);
      const s = await stats(admin);
      const evalUs = (s.get("evalsha")?.usec ?? 0) + (s.get("eval")?.usec ?? 0);
      print(
        `| ${n} | ${((cpu1 - cpu0) / 1000 / WRITES).toFixed(2)} | ${
          (evalUs / WRITES).toFixed(2)
        } |`,
      );
      // The trackers' links close with the client: they stay open (unref'd) until then.
      trackers.length = 0;
    }
    await c.quit();

    // 4. Revocation latency.
    const instances: { client: ReturnType<typeof createClient5>; adapter: Adapter }[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const client = createClient5({ url: server.url });
      await client.connect();
      instances.push({
        client,
        adapter: redisV2(client, { cache: CACHE })() as unknown as Adapter,
      });
    }
    const revoker = redisV2(admin)() as unknown as Adapter;
    print("");
    const latencies: number[] = [];
    for (let r = 0; r < REVOCATIONS; r++) {
      const id = `r${r}`;
      await revoker.setSession(session(id, "r"));
      for (const { adapter } of instances) await untilCached(admin, adapter, id);
      await revoker.deleteSession(id);
      const acked = performance.now();
      await Promise.all(instances.map(async ({ adapter }) => {
        while (await adapter.getSession(id) !== null) await yieldToIo();
        latencies.push((performance.now() - acked) * 1000);
      }));
    }
    for (const { client } of instances) await client.quit();
    print(`| revocation, ${INSTANCES} instances × ${REVOCATIONS} | p50 µs | p99 µs | max µs |`);
    print("| --- | --- | --- | --- |");
    print(
      `| from the write's acknowledgement to null | ${quantile(latencies, 0.5).toFixed(0)} | ${
        quantile(latencies, 0.99).toFixed(0)
      } | ${Math.max(...latencies).toFixed(0)} |`,
    );
  } finally {
    await admin.quit();
    await server.stop();
  }
}

await main();
