/**
 * What tests/cli_migrate.test.ts builds on: a way to run `migrate` as the tool would (in this
 * process, over the tool's own connection, its output captured), and a legacy dataset written by
 * the earlier adapters themselves (2.1.2 from npm) or in their exact formats (1.x), with what a
 * migration must make of it.
 *
 * @module
 */
import { redis as redis212 } from "adapter-session-redis-v2";
import { LuciaError } from "lucia-auth";
import redis, { type RedisSessionAdapter } from "../../mod.ts";
import { openRedis } from "../../cli.ts";
import type { CliIo, OpenRedis, RedisTarget } from "../../src/cli/io.ts";
import { withContext } from "../../src/cli/context.ts";
import { migrateCommand, type MigrateSummary } from "../../src/cli/migrate.ts";
import type { Admin } from "./harness.ts";

export const HOUR = 60 * 60 * 1000;

/** Where the tool connects, and how the tests' own clients do. */
export interface Target {
  readonly url: string;
  readonly cluster: boolean;
}

/**
 * The tool's own connection (cli.ts); `failAfterScans` makes the n-th SCAN fail (a lost link),
 * and `beforeScan` runs before each SCAN is sent (a test lets other work in between).
 */
export async function openForTest(
  target: RedisTarget,
  failAfterScans = 0,
  beforeScan?: () => Promise<void>,
): Promise<OpenRedis> {
  const opened = await openRedis(target);
  if (failAfterScans === 0 && beforeScan === undefined) return opened;
  let scans = 0;
  return {
    ...opened,
    primaries: async () =>
      (await opened.primaries()).map((node) => ({
        address: node.address,
        send: async (command: string[]) => {
          if (command[0] !== "SCAN") return node.send(command);
          if (failAfterScans > 0 && ++scans >= failAfterScans) {
            throw new Error("Socket closed unexpectedly");
          }
          await beforeScan?.();
          return node.send(command);
        },
      })),
  };
}

/** What one run of `migrate` gave. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  /** The JSON summary (the tests run with --json unless told otherwise). */
  summary: MigrateSummary;
}

/** Runs `migrate` as the tool would, on the namespaces `ns`. */
export async function runMigrate(
  target: Target,
  ns: { session: string; userSession: string },
  options: {
    dryRun?: boolean;
    batch?: number;
    json?: boolean;
    tty?: boolean;
    failAfterScans?: number;
    /** Runs before each SCAN the tool sends. */
    beforeScan?: () => Promise<void>;
    /** `--merge-user-session-namespace`. */
    mergeFrom?: string;
  } = {},
): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const json = options.json ?? true;
  const io: CliIo = {
    args: [],
    env: {},
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    stderrIsTTY: options.tty ?? false,
    openRedis: (t) => openForTest(t, options.failAfterScans, options.beforeScan),
  };
  const parsed: Record<string, number | boolean | string> = {};
  if (options.dryRun) parsed["dry-run"] = true;
  if (options.mergeFrom !== undefined) parsed["merge-user-session-namespace"] = options.mergeFrom;
  if (options.batch !== undefined) parsed.batch = options.batch;
  const code = await withContext(io, {
    url: target.url,
    cluster: target.cluster,
    sessionNamespace: ns.session,
    userSessionNamespace: ns.userSession,
    json,
  }, (context) =>
    migrateCommand.run(context, {
      command: "migrate",
      positionals: [],
      options: parsed,
      help: false,
    }));
  const stdout = out.join("");
  return { code, stdout, stderr: err.join(""), summary: json ? JSON.parse(stdout) : undefined! };
}

/** A live session the dataset holds, by id. */
export interface Live {
  readonly userId: string;
  readonly idle: number;
}

/** The dataset and what `migrate` must make of it. */
export interface Dataset {
  readonly users: string[];
  readonly live: Map<string, Live>;
  /** Ids whose session must be gone (dead). */
  readonly dead: string[];
  /** Ids left in an index with no session behind them and a future score (cluster: kept). */
  readonly ghosts: Map<string, string>;
  /** The counts of the summary a first run must report. */
  readonly expected: Partial<MigrateSummary>;
}

/**
 * Seeds `users` users in four kinds: a 1.x LIST index (sessions written with the ~54-year `EX`),
 * a 2.x SET written by the 2.1.2 adapter itself, a sorted set written by this adapter with a
 * missing, an expired and a tombstoned entry, and a sorted set that lost its expiry.
 */
export async function seedDataset(
  admin: Admin,
  app: RedisSessionAdapter,
  ns: { session: string; userSession: string },
  users: number,
  cluster: boolean,
): Promise<Dataset> {
  const old = redis212(admin as never, { session: ns.session, userSessions: ns.userSession })(
    LuciaError as never,
  );
  const now = Date.now();
  // Never a whole second: 2.1.2's EXAT rounds the expiry down, and must be corrected.
  const idleAt = (hours: number) => Math.floor(now / 1000) * 1000 + hours * HOUR + 437;
  const session = (id: string, userId: string, idle: number) => ({
    id,
    user_id: userId,
    active_expires: idle - HOUR / 2,
    idle_expires: idle,
  });
  const live = new Map<string, Live>();
  const dead: string[] = [];
  const ghosts = new Map<string, string>();
  const e = {
    sessionsScanned: 0,
    indexesScanned: users,
    sessionsExpiryFixed: 0,
    sessionsDeleted: 0,
    sessionsSkipped: 0,
    indexesConverted: 0,
    danglingEntriesDropped: 0,
    indexExpiriesFixed: 0,
  };
  const ids: string[] = [];
  const index = (userId: string) => `${ns.userSession}:${userId}`;
  await Promise.all(Array.from({ length: users }, async (_, i) => {
    const kind = i % 4;
    const userId = `user${i}`;
    ids.push(userId);
    const sid = (name: string) => `${kind}-${i}-${name}`;
    const keep = (name: string, hours: number) => {
      live.set(sid(name), { userId, idle: idleAt(hours) });
      return session(sid(name), userId, idleAt(hours));
    };
    if (kind === 0) {
      const sessions = [
        keep("a", 1),
        keep("b", 2),
        keep("c", 3),
        session(sid("d"), userId, now - 5000),
      ];
      for (const s of sessions) {
        await admin.set(`${ns.session}:${s.id}`, JSON.stringify(s), {
          EX: Math.floor(s.idle_expires),
        });
      }
      dead.push(sid("d"));
      await admin.rPush(index(userId), [
        sid("a"),
        sid("b"),
        sid("c"),
        sid("d"),
        sid("gone"),
        sid("a"),
      ]);
      e.sessionsScanned += 4, e.sessionsExpiryFixed += 3, e.sessionsDeleted += 1;
      e.indexesConverted += 1;
      e.danglingEntriesDropped += 3;
    } else if (kind === 1) {
      for (const s of [keep("a", 1), keep("b", 2), keep("c", 4)]) await old.setSession(s);
      await old.setSession(session(sid("d"), userId, now - 5000)); // Its key expires at once.
      dead.push(sid("d"));
      e.sessionsScanned += 3, e.sessionsExpiryFixed += 3, e.indexesConverted += 1;
      e.danglingEntriesDropped += 1;
    } else if (kind === 2) {
      for (const s of [keep("a", 1), keep("b", 2)]) await app.setSession(s);
      await admin.zAdd(index(userId), [
        { score: idleAt(3), value: sid("ghost") },
        { score: now - 5000, value: sid("old") },
        { score: idleAt(3), value: sid("tomb") },
      ]);
      await admin.set(`${ns.session}:${sid("tomb")}`, "", { PXAT: idleAt(3) });
      ghosts.set(sid("ghost"), userId);
      e.sessionsScanned += 3, e.sessionsSkipped += 1;
      e.danglingEntriesDropped += cluster ? 2 : 3;
    } else {
      await app.setSession(keep("a", 5));
      await admin.persist(index(userId));
      e.sessionsScanned += 1, e.indexExpiriesFixed += 1;
    }
  }));
  const changes = e.sessionsExpiryFixed + e.sessionsDeleted + e.indexesConverted +
    e.danglingEntriesDropped + e.indexExpiriesFixed;
  const scanned = e.sessionsScanned + e.indexesScanned;
  return { users: ids, live, dead, ghosts, expected: { ...e, changes, scanned } };
}

/** This adapter (Lucia v1's entry) over `client` on `ns`. */
export function appAdapter(client: unknown, ns: { session: string; userSession: string }) {
  return redis(client as Parameters<typeof redis>[0], {
    namespaces: { session: ns.session, userSession: ns.userSession },
  })(LuciaError);
}

/** The counts of a summary, without its timing. */
export function countsOf(summary: MigrateSummary): Record<string, unknown> {
  const { seconds: _s, keysPerSecond: _k, dryRun: _d, ...rest } = summary;
  return rest;
}

/** The namespaces of an app that went from 1.x to 2.1.2 with the defaults, under a test root. */
export interface TwoNamespaces {
  readonly root: string;
  readonly session: string;
  /** 1.x's index namespace (`userSession`), merged from. */
  readonly from: string;
  /** 2.1.2's (`user_sessions`), the one the app reads now: the target. */
  readonly userSession: string;
}

/**
 * Seeds an app that went from 1.x to 2.1.2 with the defaults, and then ran this package's v1
 * entry for a while on 1.x's namespace: u1 has a 1.x LIST (a live session, a dead one, a gone
 * id) and a 2.1.2 SET (a live session); u2 only a 1.x LIST; u3 only a 2.1.2 SET; u4 a sorted set
 * of this adapter under the old namespace (written over `app`) and a 2.1.2 SET. Returns the live
 * session ids by user.
 */
export async function seedTwoNamespaces(admin: Admin, app: unknown, ns: TwoNamespaces) {
  const old = redis212(admin as never, { session: ns.session, userSessions: ns.userSession })(
    LuciaError as never,
  );
  const v1 = appAdapter(app, { session: ns.session, userSession: ns.from });
  const now = Date.now();
  const session = (id: string, userId: string, idle: number) => ({
    id,
    user_id: userId,
    active_expires: idle - HOUR / 2,
    idle_expires: idle,
  });
  const list = async (userId: string, ids: string[], live: [string, number][], dead: string[]) => {
    for (const [id, hours] of live) {
      const s = session(id, userId, now + hours * HOUR);
      await admin.set(`${ns.session}:${id}`, JSON.stringify(s), { EX: Math.floor(s.idle_expires) });
    }
    for (const id of dead) {
      const s = session(id, userId, now - 5000);
      await admin.set(`${ns.session}:${id}`, JSON.stringify(s), { EX: Math.floor(s.idle_expires) });
    }
    await admin.rPush(`${ns.from}:${userId}`, ids);
  };
  await list("u1", ["a1", "a-dead", "a-gone"], [["a1", 2]], ["a-dead"]);
  await old.setSession(session("b1", "u1", now + 3 * HOUR + 437));
  await list("u2", ["c1", "c1"], [["c1", 1]], []);
  await old.setSession(session("e1", "u3", now + 4 * HOUR + 437));
  await v1.setSession(session("f1", "u4", now + 5 * HOUR));
  await old.setSession(session("g1", "u4", now + HOUR + 437));
  return new Map([["u1", ["a1", "b1"]], ["u2", ["c1"]], ["u3", ["e1"]], ["u4", ["f1", "g1"]]]);
}
