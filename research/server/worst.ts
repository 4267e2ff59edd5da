/**
 * The `worst` mode: the Redis time of one call against the number of sessions the user has. A
 * script or a single command blocks Redis for every other client while it runs, so listing or
 * signing out a user with 20,000 sessions is a pause for everyone.
 *
 * Per (sessions per user N, subject, operation): a flushed database; one user with N sessions
 * stored fast (pipelined commands writing exactly the subject's own layout: this adapter's JSON,
 * `PXAT`, sorted-set index with its expiry; 2.1.2's JSON, `EXAT`, set index), checked by
 * listing them through the subject; then one call, priced from `INFO commandstats` (µs of the
 * commands it sent at top level; reset before the call). Median of `repeats` calls, each on
 * fresh data where the call changes it.
 *
 * @module
 */
import { serializeSession } from "../../src/core/session.ts";
import { resetCounts } from "../../bench/counting.ts";
import type { Admin } from "../../bench/load/clients.ts";
import { check, log } from "../../bench/load/common.ts";
import {
  INDEX_PREFIX,
  rawSender,
  SESSION_PREFIX,
  type Subject,
  type SubjectKey,
} from "../../bench/subjects.ts";
import { prunes, Universe } from "./data.ts";
import type { Counted, ServerFamily } from "./family.ts";
import { parseCommandStats, topLevel } from "./stats.ts";
import type { ServerConfig, WorstRecord } from "./types.ts";

/** 2.1.2's index key prefix (its default). */
const V2_INDEX_PREFIX = "user_sessions:";

/**
 * Stores `users` users of `n` sessions each (user `j` holds sessions `j*n … j*n+n-1` of `u`) in
 * the subject's layout, pipelined.
 */
async function fastSeed(
  send: (args: string[]) => Promise<unknown>,
  key: SubjectKey,
  u: Universe,
  n: number,
  users: number,
): Promise<void> {
  const batch = 1000;
  for (let user = 0; user < users; user++) {
    let last = 0;
    for (let from = user * n; from < (user + 1) * n; from += batch) {
      const to = Math.min((user + 1) * n, from + batch);
      const writes: Promise<unknown>[] = [];
      const members: string[] = [];
      for (let i = from; i < to; i++) {
        const s = u.session(i, user);
        if (key === "v2") {
          const exat = String(Math.floor(s.idle_expires / 1000));
          writes.push(send(["SET", SESSION_PREFIX + s.id, JSON.stringify(s), "EXAT", exat]));
          members.push(s.id);
        } else {
          const r = serializeSession(s);
          writes.push(send(["SET", SESSION_PREFIX + s.id, r.json, "PXAT", String(r.expiresAt)]));
          members.push(String(r.expiresAt), s.id);
          last = Math.max(last, r.expiresAt);
        }
      }
      writes.push(
        key === "v2"
          ? send(["SADD", V2_INDEX_PREFIX + u.user(user), ...members])
          : send(["ZADD", INDEX_PREFIX + u.user(user), ...members]),
      );
      await Promise.all(writes);
    }
    if (key !== "v2") await send(["PEXPIREAT", INDEX_PREFIX + u.user(user), String(last)]);
  }
}

/** Loads a subject instance's scripts (its first call of each is an EVAL) on a spare user. */
async function warm(subject: Subject): Promise<void> {
  const u = new Universe(4242, 2);
  for (let n = 0; n < 2; n++) await subject.setSession(u.session(n, 0));
  await subject.getSessionsByUserId!(u.user(0));
  await subject.deleteSessionsByUserId!(u.user(0));
}

/** The first session number from `from` on whose id does (or does not) take the pruning path. */
function nextId(u: Universe, from: number, pruning: boolean): number {
  let n = from;
  while (prunes(u.id(n)) !== pruning) n++;
  return n;
}

/** The operations measured, and which subjects have them. */
const OPS = [
  { op: "getSessionsByUserId", subjects: ["ours", "v2"], destructive: false },
  { op: "deleteSessionsByUserId", subjects: ["ours", "v2"], destructive: true },
  { op: "setSession", subjects: ["ours", "v2"], destructive: false },
  { op: "setSession (pruning write)", subjects: ["ours"], destructive: false },
  { op: "setSession, cap", subjects: ["ours"], destructive: true },
] as const;

/** Runs the worst-case mode. */
export async function worstMode(
  config: ServerConfig,
  family: ServerFamily,
  admin: Admin,
): Promise<WorstRecord[]> {
  const { ns, repeats, cap } = config.worst;
  const send = rawSender(family.client);
  const subjects = new Map<string, Counted>([
    ["ours", family.make("ours")],
    ["v2", family.make("v2")],
    ["cap", family.oursWith({ maxSessionsPerUser: cap })],
  ]);
  for (const { subject } of subjects.values()) await warm(subject);
  const out: WorstRecord[] = [];
  for (const n of ns) {
    const t = performance.now();
    for (const { op, subjects: keys, destructive } of OPS) {
      for (const key of keys) {
        const { subject, counts } = subjects.get(op.includes("cap") ? "cap" : key)!;
        let seeded: Universe | undefined;
        let extra = 2 * n + 10;
        for (let repeat = 0; repeat < repeats; repeat++) {
          if (!seeded || destructive) {
            await admin.send(["FLUSHALL", "SYNC"]);
            seeded = new Universe(31_000 + n + repeat, n);
            // User 1 is user 0's twin: the same call on it just before warms the CPU's
            // caches, so that a call on a few sessions is not timed cold.
            await fastSeed(send, key, seeded, n, 2);
            const listed = await subject.getSessionsByUserId!(seeded.user(0));
            check(listed.length === n, `worst ${key}: seeded ${listed.length} of ${n}`);
          }
          const u = seeded;
          let call: (user: number) => Promise<unknown>;
          if (op === "getSessionsByUserId") {
            call = async (user) => {
              const list = await subject.getSessionsByUserId!(u.user(user));
              check(list.length === n, `worst ${key} ${op}: listed ${list.length} of ${n}`);
            };
          } else if (op === "deleteSessionsByUserId") {
            call = (user) => subject.deleteSessionsByUserId!(u.user(user));
          } else {
            call = (user) => {
              const at = nextId(u, extra, op.includes("pruning"));
              extra = at + 1;
              return subject.setSession(u.session(at, user));
            };
          }
          // A full Lua collection first, so that no collection step left over from earlier
          // calls lands in the measured one.
          await admin.send(["EVAL", "collectgarbage('collect') return 0", "0"]);
          await call(1);
          resetCounts(counts);
          await admin.send(["CONFIG", "RESETSTAT"]);
          await call(0);
          const stats = parseCommandStats(String(await admin.send(["INFO", "commandstats"])));
          const priced = topLevel(stats, counts.byName);
          const perCall = Object.values(priced.commands).map((c) => c.usec / c.sent);
          out.push({
            op: op === "setSession, cap" ? `setSession, cap ${cap}` : op,
            subject: key,
            n,
            repeat,
            usec: priced.usec,
            longest: Math.max(0, ...perCall),
            commands: counts.commands,
          });
          if (op === "deleteSessionsByUserId") {
            const left = await subject.getSessionsByUserId!(u.user(0));
            check(left.length === 0, `worst ${key}: ${left.length} left after sign-out`);
          }
          if (op === "setSession, cap" && n >= cap) {
            const left = await subject.getSessionsByUserId!(u.user(0));
            check(left.length === cap, `worst cap: ${left.length} left, cap ${cap}`);
          }
        }
      }
    }
    log(`worst case at ${n} sessions per user: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  await admin.send(["FLUSHALL", "SYNC"]);
  return out;
}
