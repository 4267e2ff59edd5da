/**
 * What tests/cli.test.ts runs the tool with: `main()` in this process over the real node-redis
 * connection of cli.ts, its output captured; and a small dataset written by this adapter, by
 * the 1.x adapter's format (a LIST index, a ~54-year TTL) and by the 2.1.2 adapter itself (a SET
 * index), with the figures `stats` must find in it.
 *
 * @module
 */
import { redis as redis212 } from "adapter-session-redis-v2";
import redisV1 from "../../mod.ts";
import { openRedis } from "../../cli.ts";
import { main } from "../../src/cli/main.ts";
import { type Admin, session } from "./harness.ts";

/** What one run of the tool printed, and its exit code. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the tool in this process with `args` (REDIS_URL set to `url`). */
export async function cli(url: string, args: string[], env: Record<string, string> = {}) {
  const run: Run = { code: -1, stdout: "", stderr: "" };
  run.code = await main({
    args,
    env: { REDIS_URL: url, ...env },
    stdout: (text) => void (run.stdout += text),
    stderr: (text) => void (run.stderr += text),
    stderrIsTTY: false,
    openRedis,
  });
  return run;
}

/** The tool's namespace options for a test's namespaces. */
export function nsArgs(ns: { session: string; userSession: string }): string[] {
  return ["--session-namespace", ns.session, "--user-session-namespace", ns.userSession];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Writes the dataset under `ns` and returns the figures `stats --json` must report:
 * - this adapter: user u1 with 3 sessions (idle in 30 min, 5 h, 3 days), u2 with 1 (10 days);
 * - the 1.x format: u3's LIST index [l1, gone], l1 (idle in 2 h) with `EX <idle_expires as
 *   seconds>`, about 54 years;
 * - the 2.1.2 adapter: u4 with 2 sessions (20 min, 2 days) in a SET index;
 * - a tombstone.
 */
export async function seed(admin: Admin, ns: { session: string; userSession: string }) {
  const v1 = redisV1(admin, { namespaces: { session: ns.session, userSession: ns.userSession } })();
  await v1.setSession(session("a1", "u1", 30 * MINUTE));
  await v1.setSession(session("a2", "u1", 5 * HOUR));
  await v1.setSession(session("a3", "u1", 3 * DAY));
  await v1.setSession(session("b1", "u2", 10 * DAY));
  const l1 = session("l1", "u3", 2 * HOUR);
  await admin.set(`${ns.session}:l1`, JSON.stringify(l1), { EX: Math.floor(l1.idle_expires) });
  await admin.rPush(`${ns.userSession}:u3`, ["l1", "gone"]);
  // deno-lint-ignore no-explicit-any
  const v2 = (redis212 as any)(admin, { session: ns.session, userSessions: ns.userSession })();
  const c = [session("c1", "u4", 20 * MINUTE), session("c2", "u4", 2 * DAY)];
  for (const s of c) await v2.setSession(s);
  await admin.set(`${ns.session}:tomb`, "", { PX: HOUR });
  return {
    keys: { session: 8, userSession: 4 },
    sessions: 7,
    expiredSessions: 0,
    tombstones: 1,
    unreadableSessionKeys: 0,
    users: 4,
    sessionsPerUser: { "0": 0, "1": 2, "2": 1, "3-5": 1, "6-10": 0, "11-100": 0, "101+": 0 },
    maxSessionsPerUser: 3,
    expiry: { withinHour: 2, withinDay: 2, withinWeek: 2, later: 1 },
    legacyIndexes: { list: 1, set: 1 },
    otherIndexKeys: 0,
    // l1's ~54-year TTL, and c1 and c2 unless on a whole second (2.1.2's EXAT rounds down).
    sessionsNeedingExpiryFix: 1 + c.filter((s) => s.idle_expires % 1000 !== 0).length,
    danglingIndexEntries: 1,
    needsMigration: true,
  };
}

/** Writes since the server's last save: unchanged across a run that wrote nothing. */
export async function writesSoFar(admin: Admin): Promise<number> {
  const info = await admin.info("persistence");
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)?.[1]);
}
