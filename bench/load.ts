/**
 * The benchmark's load script: runs under Deno, Bun and Node (bundled to .mjs for Node), against
 * one redis-server, and writes its figures as JSON. bench/run.ts starts it once per runtime.
 *
 * Usage: <runtime> bench/load.ts '<LoadConfig JSON>'
 *
 * Modes:
 * - `throughput`: each operation of each subject at each concurrency, on one connection per
 *   subject, repeated; ops/s, p50 and p99 latency per repeat;
 * - `counts`: commands and round trips per operation (counting wrapper), cross-checked against
 *   MONITOR, with the commands Lua scripts ran and Redis's own CPU time per operation;
 * - `memory`: Redis memory per live session, and what is left once every session has expired;
 * - `rtt`: PING round-trip time over the subjects' URL and directly.
 *
 * Every loop is bounded in count and in time. Results are checked as they are produced (wrong
 * results throw), but nothing is asserted about speed.
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { createClient } from "redis5";
import { countingClient, type Counts, resetCounts } from "./counting.ts";
import { openMonitor } from "./monitor.ts";
import {
  type BenchSession,
  type BunRedisLike,
  connectSubject,
  type NodeRedisLike,
  oursSubject,
  rawSender,
  rawSubject,
  type Subject,
  type SubjectKey,
  v2Subject,
} from "./subjects.ts";

/** Which client the subjects use. */
export type ClientKind = "node-redis" | "bun";

/** An operation as benchmarked: `k` is the number of sessions per user for the by-user ones. */
export interface OpSpec {
  op:
    | "setSession"
    | "getSession"
    | "getSessionsByUserId"
    | "deleteSession"
    | "deleteSessionsByUserId";
  k?: number;
}

/** What bench/run.ts asks for. */
export interface LoadConfig {
  modes: ("throughput" | "counts" | "memory" | "rtt")[];
  /** Where the measured clients connect (redis-server, or the latency proxy in front of it). */
  url: string;
  /** redis-server itself: for flushing, INFO and preparing data. */
  directUrl: string;
  /** Label of this run (e.g. "loopback", "latency"). */
  run: string;
  clients: ClientKind[];
  subjects: SubjectKey[];
  /** Throughput: operations and concurrencies to measure. */
  ops: OpSpec[];
  concurrencies: number[];
  repeats: number;
  /** Time bound of one measurement. */
  durationMs: number;
  /** Count bound of one measurement (and of any pool prepared for it). */
  maxOps: number;
  /** Counts: operations measured per (subject, op). */
  countOps: number;
  /** Counts: the sessions-per-user values for the by-user operations. */
  countKs: number[];
  /** Counts: the clients to count over. */
  countClients: ClientKind[];
  /** Memory: sessions created per measurement, sessions per user, expiry for the retained test. */
  memorySessions: number;
  memoryKs: number[];
  expireMs: number;
  /** The subjects whose retained memory is measured (each takes a wait past the expiry). */
  retainedSubjects: SubjectKey[];
  /** Where to write the JSON results. */
  out: string;
}

/** One throughput measurement. */
export interface Measurement {
  run: string;
  runtime: string;
  client: ClientKind;
  subject: SubjectKey;
  op: string;
  concurrency: number;
  repeat: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  /** CPU time redis-server's main thread used per operation during the measurement (µs). */
  serverCpuUs: number;
}

/** Commands per operation. */
export interface CountRecord {
  client: ClientKind;
  subject: SubjectKey;
  op: string;
  /** Client-issued commands per op, from the counting wrapper. */
  commands: number;
  /** Round trips per op, from the counting wrapper. */
  roundTrips: number;
  /** Client-issued commands per op as MONITOR saw them (the cross-check). */
  monitorCommands: number;
  /** Commands Lua scripts ran per op, as MONITOR saw them. */
  scriptCommands: number;
  /** The commands of one op, e.g. "EVALSHA" or "GET → DEL+SREM". */
  shape: string;
}

/** Memory per session. */
export interface MemoryRecord {
  subject: SubjectKey;
  k: number;
  sessions: number;
  /** Slope of used_memory between n/10 and n sessions. */
  bytesPerSession: number;
  /** used_memory delta from the empty database, divided by n. */
  fromEmpty: number;
  keysPerSession: number;
}

/** Memory left once every session has expired. */
export interface RetainedRecord {
  subject: SubjectKey;
  k: number;
  sessions: number;
  /** used_memory after expiry minus used_memory once flushed: what the keyspace still holds. */
  retainedBytes: number;
  /** used_memory after expiry minus before the sessions were created (buffers included). */
  sinceStart: number;
  keysLeft: number;
}

/** PING round trips. */
export interface RttRecord {
  direct: { p50: number; p99: number };
  measured: { p50: number; p99: number };
}

/** What the load script writes. */
export interface LoadResult {
  run: string;
  runtime: string;
  runtimeVersion: string;
  measurements: Measurement[];
  counts: CountRecord[];
  memory: MemoryRecord[];
  retained: RetainedRecord[];
  rtt?: RttRecord;
}

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The runtime this runs on and its version. */
export function runtimeInfo(): { runtime: string; version: string } {
  if (g.Deno?.version) return { runtime: "deno", version: g.Deno.version.deno };
  if (g.Bun?.version) return { runtime: "bun", version: g.Bun.version };
  return { runtime: "node", version: process.versions.node };
}

/** The label of an operation, e.g. `getSessionsByUserId(10)`. */
export function opLabel(spec: OpSpec): string {
  return spec.k === undefined ? spec.op : `${spec.op}(${spec.k})`;
}

function log(message: string): void {
  process.stderr.write(`[${runtimeInfo().runtime}] ${message}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- sessions -------------------------------------------------------------------------------

let tagCounter = 0;

/** A tag unique to this process and call, 8 characters of [a-z0-9]. */
function freshTag(): string {
  const random = Math.random().toString(36).slice(2, 6).padEnd(4, "0");
  return (random + (tagCounter++ % 1679616).toString(36).padStart(4, "0")).slice(0, 8);
}

/** Session ids of 40 characters (Lucia's length), user ids of 15, all [a-z0-9]. */
class Sessions {
  readonly tag = freshTag();
  constructor(readonly perUser: number, readonly idleMs = 14 * 86_400_000) {}
  id(n: number): string {
    return this.tag + n.toString(36).padStart(32, "0");
  }
  user(u: number): string {
    return this.tag + "u" + u.toString(36).padStart(6, "0");
  }
  session(n: number, now = Date.now()): BenchSession {
    return {
      id: this.id(n),
      user_id: this.user(Math.floor(n / this.perUser)),
      active_expires: now + Math.min(86_400_000, this.idleMs / 2),
      idle_expires: now + this.idleMs,
    };
  }
}

// --- bounded pools --------------------------------------------------------------------------

interface PoolRun {
  done: number;
  seconds: number;
  latencies: Float64Array;
}

/**
 * Runs `fn(first..count-1)` on `concurrency` workers until all are done or `timeMs` passes
 * (no new operation starts after that; those in flight finish). `done` is the next index.
 */
async function runPool(
  concurrency: number,
  count: number,
  timeMs: number,
  fn: (i: number) => Promise<unknown>,
  latencies?: Float64Array,
  first = 0,
): Promise<PoolRun> {
  let next = first;
  const start = performance.now();
  const deadline = start + timeMs;
  const worker = async () => {
    for (;;) {
      if (next >= count) return;
      const t0 = performance.now();
      if (t0 > deadline) return;
      const i = next++;
      await fn(i);
      if (latencies) latencies[i] = performance.now() - t0;
    }
  };
  const workers = Math.max(1, Math.min(concurrency, count - first));
  await Promise.all(Array.from({ length: workers }, worker));
  return {
    done: next,
    seconds: (performance.now() - start) / 1000,
    latencies: latencies ?? new Float64Array(0),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`Benchmark check failed: ${message}`);
}

// --- clients and subjects -------------------------------------------------------------------

interface Family {
  kind: ClientKind;
  label: string;
  /** Subjects over the measured connection. */
  subjects: Map<SubjectKey, Subject>;
  /** The same subjects over a direct connection, for preparing data. */
  prep: Map<SubjectKey, Subject>;
  /** Builds a subject over a wrapped client (for counting). */
  wrap(key: SubjectKey): { subject: Subject; counts: Counts };
  close(): Promise<void>;
}

function makeSubject(
  key: SubjectKey,
  client: NodeRedisLike | BunRedisLike,
  label: string,
): Subject | undefined {
  const isNodeRedis = "sendCommand" in client;
  switch (key) {
    case "ours":
    case "ours2":
      return oursSubject(client, label, key);
    case "raw":
      return rawSubject(client, label);
    case "v2":
      return isNodeRedis ? v2Subject(client as NodeRedisLike, label) : undefined;
    case "connect":
      return isNodeRedis ? connectSubject(client as NodeRedisLike, label) : undefined;
  }
}

async function nodeRedisClient(url: string): Promise<NodeRedisLike> {
  const client = createClient({ url });
  client.on("error", (error: unknown) => log(`node-redis error: ${String(error)}`));
  await client.connect();
  return client as unknown as NodeRedisLike;
}

async function bunRedisClient(url: string): Promise<BunRedisLike> {
  const specifier = "bun";
  const { RedisClient } = await import(specifier);
  const client = new RedisClient(url) as BunRedisLike;
  await client.send("PING", []);
  return client;
}

async function openFamily(kind: ClientKind, config: LoadConfig): Promise<Family> {
  const open = kind === "bun" ? bunRedisClient : nodeRedisClient;
  const label = kind === "bun" ? "Bun RedisClient" : "node-redis";
  const measured = await open(config.url);
  const direct = await open(config.directUrl);
  const subjects = new Map<SubjectKey, Subject>();
  const prep = new Map<SubjectKey, Subject>();
  for (const key of config.subjects) {
    // The A/A control only gives the noise band: measured over node-redis only.
    if (key === "ours2" && kind !== "node-redis") continue;
    const subject = makeSubject(key, measured, label);
    if (!subject) continue;
    subjects.set(key, subject);
    prep.set(key, makeSubject(key, direct, label)!);
  }
  return {
    kind,
    label,
    subjects,
    prep,
    wrap(key) {
      const { client, counts } = countingClient(direct);
      return { subject: makeSubject(key, client, label)!, counts };
    },
    async close() {
      for (const c of [measured, direct]) {
        if ("quit" in c) await c.quit();
        else c.close();
      }
    },
  };
}

// --- admin ----------------------------------------------------------------------------------

interface Admin {
  send(args: string[]): Promise<unknown>;
  info(section: string, field: string): Promise<number>;
  close(): Promise<void>;
}

async function openAdmin(url: string): Promise<Admin> {
  const client = await nodeRedisClient(url);
  const send = rawSender(client);
  return {
    send,
    async info(section, field) {
      const text = String(await send(["INFO", section]));
      const m = new RegExp(`^${field}:(\\S+)`, "m").exec(text);
      if (!m) throw new Error(`INFO ${section} has no ${field}`);
      return Number(m[1]);
    },
    close: () => client.quit().then(() => undefined),
  };
}

// --- preparing data ---------------------------------------------------------------------------

/** Stores sessions 0..count-1 through the subject (its own format), 256 at a time. */
async function populate(subject: Subject, sessions: Sessions, count: number): Promise<void> {
  const now = Date.now();
  const run = await runPool(256, count, 120_000, async (i) => {
    await subject.setSession(sessions.session(i, now));
  });
  check(run.done === count, `populating ${count} sessions timed out`);
}

/** What one measured operation needs: how many it may run and what each does. */
interface Prepared {
  count: number;
  run: (i: number) => Promise<void>;
  verify: () => Promise<void>;
}

/** Pool sizes for the read operations (sessions in total, split in users of k sessions). */
const READ_POOL = 5000;

async function prepare(
  spec: OpSpec,
  subject: Subject,
  prep: Subject,
  count: number,
): Promise<Prepared> {
  const k = spec.k ?? 2;
  const sessions = new Sessions(k);
  switch (spec.op) {
    case "setSession": {
      const now = Date.now();
      return {
        count,
        run: async (i) => {
          await subject.setSession(sessions.session(i, now));
        },
        verify: async () => {
          const s = await prep.getSession(sessions.id(0));
          check(s?.id === sessions.id(0), `${subject.key}: setSession did not store the session`);
        },
      };
    }
    case "getSession": {
      const pool = Math.min(READ_POOL, count);
      await populate(prep, sessions, pool);
      return {
        count,
        run: async (i) => {
          const n = (i * 7919) % pool;
          const s = await subject.getSession(sessions.id(n));
          if ((i & 15) === 0) {
            check(s?.id === sessions.id(n), `${subject.key}: getSession returned ${s?.id}`);
          }
        },
        verify: () => Promise.resolve(),
      };
    }
    case "getSessionsByUserId": {
      const users = Math.max(1, Math.floor(Math.min(READ_POOL, count * k) / k));
      await populate(prep, sessions, users * k);
      return {
        count,
        run: async (i) => {
          const list = await subject.getSessionsByUserId!(sessions.user(i % users));
          if ((i & 15) === 0) {
            check(
              list.length === k,
              `${subject.key}: getSessionsByUserId returned ${list.length} of ${k}`,
            );
          }
        },
        verify: () => Promise.resolve(),
      };
    }
    case "deleteSession": {
      await populate(prep, sessions, count);
      return {
        count,
        run: async (i) => {
          await subject.deleteSession(sessions.id(i));
        },
        verify: async () => {
          check(
            (await prep.getSession(sessions.id(0))) === null,
            `${subject.key}: deleteSession left the session`,
          );
        },
      };
    }
    case "deleteSessionsByUserId": {
      await populate(prep, sessions, count * k);
      return {
        count,
        run: async (i) => {
          await subject.deleteSessionsByUserId!(sessions.user(i));
        },
        verify: async () => {
          check(
            (await prep.getSession(sessions.id(0))) === null,
            `${subject.key}: deleteSessionsByUserId left a session`,
          );
          if (prep.getSessionsByUserId) {
            const left = await prep.getSessionsByUserId(sessions.user(0));
            check(left.length === 0, `${subject.key}: deleteSessionsByUserId left ${left.length}`);
          }
        },
      };
    }
  }
}

/**
 * The subject that prepares data for an operation: the subject itself, except that the raw
 * floor's getSessionsByUserId reads this adapter's layout, so this adapter writes it.
 */
function prepFor(family: Family, key: SubjectKey, spec: OpSpec): Subject {
  const own = key === "raw" && spec.op === "getSessionsByUserId" ? "ours" : key;
  return family.prep.get(own) ?? family.prep.get(key)!;
}

/** The A/A control (ours2) is measured for throughput of getSession only. */
function supports(subject: Subject, spec: OpSpec): boolean {
  if (subject.key === "ours2") return spec.op === "getSession";
  return subject[spec.op] !== undefined;
}

// --- throughput -----------------------------------------------------------------------------

/** One subject's share of a measurement. */
interface Slot {
  family: Family;
  key: SubjectKey;
  prepared: Prepared;
  next: number;
  seconds: number;
  cpuNs: number;
  latencies: Float64Array;
}

/** Slice length at concurrency 1 (see {@linkcode runSlots}). */
const SLICE_MS = 25;

/**
 * Runs the subjects of one measurement until each has run `timeMs` (or used its pool). They
 * take turns in slices, in an order that rotates each round, so that a burst of other work on
 * the machine lands on all of them alike rather than on whichever ran then: slices of
 * {@linkcode SLICE_MS} at concurrency 1, and of a third of `timeMs` at higher concurrency
 * (where each slice ramps its requests up and down; a slow operation's slice lasts at least
 * as long as its in-flight requests take).
 */
async function runSlots(slots: Slot[], c: number, timeMs: number, pid: number): Promise<void> {
  const slice = c === 1 ? SLICE_MS : Math.max(SLICE_MS, timeMs / 3);
  const open = (s: Slot) => s.seconds * 1000 < timeMs && s.next < s.prepared.count;
  for (let round = 0; round < 100_000 && slots.some(open); round++) {
    for (let j = 0; j < slots.length; j++) {
      const s = slots[(j + round) % slots.length];
      if (!open(s)) continue;
      const budget = Math.min(slice, timeMs - s.seconds * 1000);
      const cpu = serverCpuNs(pid);
      const r = await runPool(c, s.prepared.count, budget, s.prepared.run, s.latencies, s.next);
      s.cpuNs += serverCpuNs(pid) - cpu;
      s.next = r.done;
      s.seconds += r.seconds;
    }
  }
}

async function throughput(config: LoadConfig, families: Family[], admin: Admin) {
  const { runtime } = runtimeInfo();
  const out: Measurement[] = [];
  const serverPid = await admin.info("server", "process_id");
  // Expected ops/s per (family, subject, op, concurrency), from the warm-up: sizes the pools of
  // the destructive operations so that they last the measurement's time bound.
  const rate = new Map<string, number>();
  // Pools of the read operations, prepared once per (client, subject, operation) and reused.
  const pools = new Map<string, Prepared>();
  const latencies = new Map<string, Float64Array>();

  const prepareSlot = async (
    family: Family,
    key: SubjectKey,
    spec: OpSpec,
    c: number,
    timeMs: number,
  ): Promise<Slot> => {
    const subject = family.subjects.get(key)!;
    const prep = prepFor(family, key, spec);
    const id = `${family.kind}/${key}/${opLabel(spec)}`;
    let prepared: Prepared;
    if (spec.op === "getSession" || spec.op === "getSessionsByUserId") {
      prepared = pools.get(id) ?? await prepare(spec, subject, prep, config.maxOps);
      pools.set(id, prepared);
    } else if (spec.op === "setSession") {
      prepared = await prepare(spec, subject, prep, config.maxOps);
    } else {
      const perItem = spec.op === "deleteSessionsByUserId" ? spec.k ?? 1 : 1;
      const expected = rate.get(`${id}/${c}`);
      let count = expected === undefined ? 2000 : Math.ceil(expected * timeMs / 1000 * 1.3) + 16;
      count = Math.max(16, Math.min(count, Math.floor(config.maxOps / perItem)));
      prepared = await prepare(spec, subject, prep, count);
    }
    if (!latencies.has(id)) latencies.set(id, new Float64Array(config.maxOps));
    return {
      family,
      key,
      prepared,
      next: 0,
      seconds: 0,
      cpuNs: 0,
      latencies: latencies.get(id)!,
    };
  };

  const measure = async (
    here: [Family, SubjectKey][],
    spec: OpSpec,
    c: number,
    timeMs: number,
  ): Promise<Map<Slot, Omit<Measurement, "run" | "runtime" | "repeat">>> => {
    if (spec.op === "setSession") await admin.send(["FLUSHDB"]);
    const slots: Slot[] = [];
    for (const [family, key] of here) slots.push(await prepareSlot(family, key, spec, c, timeMs));
    await runSlots(slots, c, timeMs, serverPid);
    const results = new Map<Slot, Omit<Measurement, "run" | "runtime" | "repeat">>();
    for (const s of slots) {
      await s.prepared.verify();
      rate.set(`${s.family.kind}/${s.key}/${opLabel(spec)}/${c}`, s.next / s.seconds);
      const sorted = s.latencies.slice(0, s.next).sort();
      results.set(s, {
        client: s.family.kind,
        subject: s.key,
        op: opLabel(spec),
        concurrency: c,
        ops: s.next,
        seconds: s.seconds,
        opsPerSec: s.next / s.seconds,
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        serverCpuUs: s.cpuNs / 1000 / s.next,
      });
    }
    return results;
  };

  // One block per operation: a warm-up, then the repeats. Within a repeat all subjects run in
  // the same stretch of time (see runSlots), in an order rotated each repeat, so their ratios
  // compare figures taken side by side.
  for (const spec of config.ops) {
    await admin.send(["FLUSHDB"]);
    pools.clear();
    const here: [Family, SubjectKey][] = [];
    for (const family of families) {
      for (const [key, subject] of family.subjects) {
        if (supports(subject, spec)) here.push([family, key]);
      }
    }
    log(
      `${opLabel(spec)}: ${here.length} subjects x ${config.concurrencies.length} ` +
        `concurrencies x ${config.repeats} repeats`,
    );
    for (const c of config.concurrencies) {
      await measure(here, spec, c, Math.max(30, config.durationMs / 2));
    }
    for (let repeat = 0; repeat < config.repeats; repeat++) {
      for (const c of config.concurrencies) {
        const rotated = here.map((_, i) => here[(i + repeat) % here.length]);
        const results = await measure(rotated, spec, c, config.durationMs);
        for (const m of results.values()) {
          out.push({ run: config.run, runtime, repeat, ...m });
        }
      }
    }
  }
  await admin.send(["FLUSHDB"]);
  return out;
}

// --- counts ---------------------------------------------------------------------------------

function countSpecs(config: LoadConfig): OpSpec[] {
  const specs: OpSpec[] = [{ op: "setSession" }, { op: "getSession" }];
  for (const k of config.countKs) specs.push({ op: "getSessionsByUserId", k });
  specs.push({ op: "deleteSession" });
  for (const k of config.countKs) specs.push({ op: "deleteSessionsByUserId", k });
  return specs;
}

/**
 * CPU time a process's main thread has used (ns), network I/O and parsing included, from
 * /proc/<pid>/schedstat; NaN where there is none. redis-server runs on this machine.
 */
function serverCpuNs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]);
  } catch {
    return NaN;
  }
}

async function counts(config: LoadConfig, families: Family[], admin: Admin) {
  const out: CountRecord[] = [];
  const direct = new URL(config.directUrl);
  for (const family of families.filter((f) => config.countClients.includes(f.kind))) {
    for (const key of family.subjects.keys()) {
      if (key === "ours2") continue;
      const { subject, counts } = family.wrap(key);
      for (const spec of countSpecs(config)) {
        if (!supports(subject, spec)) continue;
        const prep = prepFor(family, key, spec);
        const m = config.countOps;
        // Warm up (loads this instance's scripts), then measure m fresh operations.
        await admin.send(["FLUSHDB"]);
        const warm = await prepare(spec, subject, prep, 2);
        for (let i = 0; i < 2; i++) await warm.run(i);
        await admin.send(["FLUSHDB"]);
        const prepared = await prepare(spec, subject, prep, m);
        resetCounts(counts);
        let shape = "";
        // MONITOR slows every command (scripts' inner ones too): open it only for this.
        const monitor = await openMonitor(direct.hostname, Number(direct.port));
        const seen = await monitor.between(async () => {
          for (let i = 0; i < m; i++) {
            await prepared.run(i);
            // The first op's commands, by round trip, e.g. "GET → DEL+SREM".
            if (i === 0) shape = counts.trips.map((trip) => trip.join("+")).join(" → ");
          }
        }).finally(() => monitor.close());
        await prepared.verify();
        const record: CountRecord = {
          client: family.kind,
          subject: key,
          op: opLabel(spec),
          commands: counts.commands / m,
          roundTrips: counts.roundTrips / m,
          monitorCommands: seen.client.length / m,
          scriptCommands: seen.script.length / m,
          shape,
        };
        check(
          record.commands === record.monitorCommands,
          `${key} ${opLabel(spec)}: the counting wrapper saw ${record.commands} commands per ` +
            `op, MONITOR ${record.monitorCommands}`,
        );
        out.push(record);
      }
    }
  }
  return out;
}

// --- memory ---------------------------------------------------------------------------------

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
 * and keeps, which a delta from an empty database would spread over the sessions, cancel out).
 * Retained memory: see below.
 */
async function memory(config: LoadConfig, families: Family[], admin: Admin) {
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
      await runPool(256, small, 120_000, (i) => subject.setSession(sessions.session(i, now)));
      const first = await settledMemory(admin);
      await runPool(
        256,
        n - small,
        120_000,
        (i) => subject.setSession(sessions.session(small + i, now)),
      );
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

// --- rtt ------------------------------------------------------------------------------------

/** PING round trips directly and over `url`, alternating, so both see the same machine load. */
async function pingRtt(directUrl: string, url: string, count: number): Promise<RttRecord> {
  const clients = [await nodeRedisClient(directUrl), await nodeRedisClient(url)];
  const [direct, measured] = clients.map(rawSender);
  const a = new Float64Array(count);
  const b = new Float64Array(count);
  for (let i = -Math.min(100, count); i < count; i++) {
    const t0 = performance.now();
    await direct(["PING"]);
    const t1 = performance.now();
    await measured(["PING"]);
    const t2 = performance.now();
    if (i >= 0) {
      a[i] = t1 - t0;
      b[i] = t2 - t1;
    }
  }
  for (const client of clients) await client.quit();
  a.sort();
  b.sort();
  return {
    direct: { p50: percentile(a, 0.5), p99: percentile(a, 0.99) },
    measured: { p50: percentile(b, 0.5), p99: percentile(b, 0.99) },
  };
}

// --- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[process.argv.length - 1]) as LoadConfig;
  const { runtime, version } = runtimeInfo();
  const result: LoadResult = {
    run: config.run,
    runtime,
    runtimeVersion: version,
    measurements: [],
    counts: [],
    memory: [],
    retained: [],
  };
  const admin = await openAdmin(config.directUrl);
  const families: Family[] = [];
  try {
    for (const kind of config.clients) families.push(await openFamily(kind, config));
    if (config.modes.includes("rtt")) {
      const pings = Math.max(50, Math.min(2000, config.countOps * 50));
      result.rtt = await pingRtt(config.directUrl, config.url, pings);
      log(
        `PING p50 direct ${result.rtt.direct.p50.toFixed(3)} ms, measured ` +
          `${result.rtt.measured.p50.toFixed(3)} ms`,
      );
    }
    if (config.modes.includes("counts")) {
      log("counting commands and round trips");
      const t = performance.now();
      result.counts = await counts(config, families, admin);
      log(`counting took ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    if (config.modes.includes("memory")) {
      log("measuring memory");
      const t = performance.now();
      const { live, retained } = await memory(config, families, admin);
      result.memory = live;
      result.retained = retained;
      log(`memory took ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    if (config.modes.includes("throughput")) {
      result.measurements = await throughput(config, families, admin);
    }
  } finally {
    for (const family of families) await family.close();
    await admin.close();
  }
  writeFileSync(config.out, JSON.stringify(result));
  log("done");
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`load failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
