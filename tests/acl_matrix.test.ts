/**
 * docs/server.md's ACL user ("Redis server settings": `ACL SETUSER app on >… ~session:* ~userSession:*
 * +@read +@write +@scripting +info +time`, here scoped to each case's namespaces) minus one of the
 * commands the scripts run, in turn, over data the inspection client prepared: every operation
 * either does all it should or rejects with a RedisOperationError naming the refused command (its
 * upper-case name in the message) having changed nothing, and after every call every live
 * session is still in its owner's index.
 *
 * It runs over node-redis 5 only (the scripts are the same whichever client sends them), and
 * prints one `acl matrix:` line with the counts.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis5";
import { RedisOperationError } from "../mod.ts";
import { type Admin, freshNamespaces, HOUR, useRedis } from "./helpers/harness.ts";
import {
  type AnySession,
  describeError,
  ENTRIES,
  inIndex,
  liveSessions,
  makeSession,
  type Namespaces,
  type Ops,
  show,
  snapshotAll,
  snapshotDiff,
  unindexedSessions,
  writeLegacyList,
  writeSession,
} from "./helpers/hostile.ts";

/** The commands the README says the scripts run. */
const COMMANDS = [
  "GET",
  "SET",
  "DEL",
  "MGET",
  "TYPE",
  "TIME",
  "PTTL",
  "PEXPIREAT",
  "ZADD",
  "ZREM",
  "ZSCORE",
  "ZRANGE",
  "ZREVRANGE",
  "ZCARD",
  "ZREMRANGEBYSCORE",
  "LRANGE",
  "SMEMBERS",
] as const;
type Command = typeof COMMANDS[number];

/** One operation over prepared data, and what it must have done when it succeeds. */
interface Scenario {
  name: string;
  cap?: number;
  prepare(admin: Admin, ns: Namespaces): Promise<void>;
  run(ops: Ops): Promise<unknown>;
  /** What is wrong after a call that resolved with `result` (empty: it did all it should). */
  verify(admin: Admin, ns: Namespaces, result: unknown): Promise<string[]>;
}

const sessionKey = (ns: Namespaces, id: string) => `${ns.session}:${id}`;
const indexKey = (ns: Namespaces, user: string) => `${ns.userSession}:${user}`;

/** Problems unless each id is a live session in `user`'s index. */
async function liveAndIndexed(admin: Admin, ns: Namespaces, user: string, ids: string[]) {
  const problems: string[] = [];
  for (const id of ids) {
    if ((await admin.exists(sessionKey(ns, id))) === 0) problems.push(`session ${id} is gone`);
    else if (!await inIndex(admin, indexKey(ns, user), id)) problems.push(`${id} is not indexed`);
  }
  return problems;
}

/** Problems unless each id has neither a session nor an entry in `user`'s index. */
async function goneAndUnindexed(admin: Admin, ns: Namespaces, user: string, ids: string[]) {
  const problems: string[] = [];
  for (const id of ids) {
    if ((await admin.exists(sessionKey(ns, id))) === 1) {
      problems.push(`session ${id} is still there`);
    }
    if (await inIndex(admin, indexKey(ns, user), id)) problems.push(`${id} is still indexed`);
  }
  return problems;
}

/** A 1.x LIST index of user "u": two live sessions, a dead one, an id whose session is gone. */
async function legacyList(admin: Admin, ns: Namespaces): Promise<void> {
  await writeLegacyList(admin, ns, "u", [
    makeSession("live1", "u", HOUR),
    makeSession("dead", "u", -1000),
    makeSession("live2", "u", 2 * HOUR),
  ], ["missing"]);
}

async function write(admin: Admin, ns: Namespaces, sessions: AnySession[]): Promise<void> {
  for (const s of sessions) await writeSession(admin, ns, s);
}

const SCENARIOS: Scenario[] = [
  {
    name: "setSession",
    prepare: (admin, ns) => write(admin, ns, [makeSession("a1", "u", HOUR)]),
    run: (ops) => ops.setSession(makeSession("n1", "u", 2 * HOUR)),
    async verify(admin, ns) {
      const problems = await liveAndIndexed(admin, ns, "u", ["a1", "n1"]);
      const at = Number(await admin.sendCommand(["PEXPIRETIME", indexKey(ns, "u")]));
      const idle = Number(await admin.zScore(indexKey(ns, "u"), "n1"));
      if (at < idle) problems.push("the index expires before the new session");
      return problems;
    },
  },
  {
    name: "setSession under a cap of 2 for a user with 3 sessions",
    cap: 2,
    prepare: (admin, ns) =>
      write(admin, ns, [
        makeSession("c1", "u", HOUR),
        makeSession("c2", "u", 2 * HOUR),
        makeSession("c3", "u", 3 * HOUR),
      ]),
    run: (ops) => ops.setSession(makeSession("n1", "u", 4 * HOUR)),
    async verify(admin, ns) {
      const problems = await liveAndIndexed(admin, ns, "u", ["n1"]);
      const live = (await liveSessions(admin, ns)).filter((s) => s.userId === "u");
      if (live.length > 2) problems.push(`${live.length} sessions are live under a cap of 2`);
      return problems;
    },
  },
  {
    name: "setSession onto a 1.x LIST index",
    prepare: legacyList,
    run: (ops) => ops.setSession(makeSession("n1", "u", 3 * HOUR)),
    async verify(admin, ns) {
      const problems = await liveAndIndexed(admin, ns, "u", ["live1", "live2", "n1"]);
      const type = await admin.type(indexKey(ns, "u"));
      if (type !== "zset") problems.push(`the index is a ${type}, not converted`);
      return problems;
    },
  },
  {
    name: "getSessionsByUserId on a 1.x LIST index",
    prepare: legacyList,
    run: (ops) => ops.getSessionsByUserId("u"),
    verify(_admin, _ns, result) {
      // The dead session is still stored (with the 1.x adapter's ~54-year TTL): Lucia drops it.
      const ids = (result as AnySession[]).map((s) => s.id).filter((id) => id !== "dead");
      return Promise.resolve(
        JSON.stringify(ids) === '["live1","live2"]' ? [] : [`it listed ${show(ids.join())}`],
      );
    },
  },
  {
    name: "deleteSession of one id",
    prepare: (admin, ns) =>
      write(admin, ns, [makeSession("a1", "u", HOUR), makeSession("a2", "u", 2 * HOUR)]),
    run: (ops) => ops.deleteSession("a1"),
    async verify(admin, ns) {
      return [
        ...await goneAndUnindexed(admin, ns, "u", ["a1"]),
        ...await liveAndIndexed(admin, ns, "u", ["a2"]),
      ];
    },
  },
  {
    name: "deleteSession of several ids of two users",
    prepare: (admin, ns) =>
      write(admin, ns, [
        makeSession("a1", "u", HOUR),
        makeSession("a2", "u", 2 * HOUR),
        makeSession("b1", "v", HOUR),
        makeSession("b2", "v", 2 * HOUR),
      ]),
    run: (ops) => ops.deleteSession("a1", "b1", "missing"),
    async verify(admin, ns) {
      return [
        ...await goneAndUnindexed(admin, ns, "u", ["a1"]),
        ...await goneAndUnindexed(admin, ns, "v", ["b1"]),
        ...await liveAndIndexed(admin, ns, "u", ["a2"]),
        ...await liveAndIndexed(admin, ns, "v", ["b2"]),
      ];
    },
  },
  {
    name: "deleteSessionsByUserId",
    prepare: (admin, ns) =>
      write(admin, ns, [
        makeSession("a1", "u", HOUR),
        makeSession("a2", "u", 2 * HOUR),
        makeSession("a3", "u", 3 * HOUR),
        makeSession("b1", "v", HOUR),
      ]),
    run: (ops) => ops.deleteSessionsByUserId("u"),
    async verify(admin, ns) {
      const problems = await liveAndIndexed(admin, ns, "v", ["b1"]);
      const left = (await liveSessions(admin, ns)).filter((s) => s.userId === "u");
      if (left.length > 0) problems.push(`${left.map((s) => s.id)} of the user are still there`);
      if ((await admin.exists(indexKey(ns, "u"))) === 1) problems.push("the index is still there");
      return problems;
    },
  },
];

/**
 * The command named in the message: its upper-case name as a word (the scripts' own checks), or
 * as Redis names a refused plain command, in lower case between quotes.
 */
const names = (message: string, command: string) =>
  new RegExp(`(?<![A-Z_])${command}(?![A-Z_])`).test(message) ||
  message.includes(`'${command.toLowerCase()}'`);

describe("An ACL user missing one of the commands the scripts run, over node-redis 5", () => {
  const ctx = useRedis();
  const tally = { cases: 0, ok: 0, named: 0, broken: 0 };
  after(() => {
    console.log(
      `acl matrix: ${tally.cases} cases, ${tally.ok} ok, ${tally.named} rejected naming the ` +
        `command, ${tally.broken} neither`,
    );
  });

  it("with every command the README lists, every operation does all it should", async () => {
    const failures = await runScenarios(undefined);
    assert.equal(failures.length, 0, `with every command:\n  ${failures.join("\n  ")}`);
  });

  for (const command of COMMANDS) {
    it(`without ${command}, every operation either does all it should or rejects naming ${command} having changed nothing, and every live session stays indexed`, async () => {
      const failures = await runScenarios(command);
      assert.equal(failures.length, 0, `without ${command}:\n  ${failures.join("\n  ")}`);
    });
  }

  /**
   * Runs every scenario as a user with docs/server.md's ACL less `command` (none: the whole ACL),
   * each on namespaces of its own; returns what went wrong, one line per scenario.
   */
  async function runScenarios(command: Command | undefined): Promise<string[]> {
    const user = `acl-without-${command?.toLowerCase() ?? "nothing"}`;
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    const grant = (ns: Namespaces) =>
      ctx.admin.sendCommand([
        "ACL",
        "SETUSER",
        user,
        "on",
        `>${password}`,
        "resetkeys",
        `~${ns.session}:*`,
        `~${ns.userSession}:*`,
        "+@read",
        "+@write",
        "+@scripting",
        "+info",
        "+time",
        ...(command === undefined ? [] : [`-${command.toLowerCase()}`]),
      ]);
    let client: ReturnType<typeof createClient> | undefined;
    const failures: string[] = [];
    try {
      for (const scenario of SCENARIOS) {
        if (command !== undefined) tally.cases++;
        const ns = freshNamespaces();
        await grant(ns);
        if (client === undefined) {
          client = createClient({ url: ctx.server.url, username: user, password });
          client.on("error", () => {});
          await client.connect();
        }
        await scenario.prepare(ctx.admin, ns);
        const ops = ENTRIES[0].open(client, ns, { maxSessionsPerUser: scenario.cap });
        const before = await snapshotAll(ctx.admin, ns.root);
        let result: unknown, error: unknown;
        try {
          result = await scenario.run(ops);
        } catch (e) {
          error = e;
        }
        const problems: string[] = [];
        if (error === undefined) {
          problems.push(...await scenario.verify(ctx.admin, ns, result));
        } else {
          const message = error instanceof Error ? error.message : String(error);
          if (command === undefined) {
            problems.push(`rejected: ${describeError(error)}`);
          } else if (!(error instanceof RedisOperationError)) {
            problems.push(`rejected with ${describeError(error)}, not a RedisOperationError`);
          } else if (!names(message, command)) {
            problems.push(`rejected without naming ${command}: ${message}`);
          }
          const diff = snapshotDiff(before, await snapshotAll(ctx.admin, ns.root));
          if (diff.length > 0) problems.push(`rejected having changed ${diff.join("; ")}`);
        }
        problems.push(...await unindexedSessions(ctx.admin, ns));
        if (command !== undefined) {
          if (problems.length > 0) tally.broken++;
          else if (error === undefined) tally.ok++;
          else tally.named++;
        }
        if (problems.length > 0) failures.push(`${scenario.name}: ${problems.join("; ")}`);
      }
    } finally {
      await client?.close();
      await ctx.admin.sendCommand(["ACL", "DELUSER", user]);
    }
    return failures;
  }
});
