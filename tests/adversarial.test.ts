/**
 * Adversarial data against the promises of the README, through both entries (Lucia v1's mod.ts
 * and Lucia v2's v2.ts) over node-redis 5, ioredis 5 and Bun's RedisClient (on Bun):
 *
 * - sign-out everywhere, single deletes and the per-user cap, for user ids holding every class
 *   of character JSON escapes, when another field of a session is something Redis's Lua JSON
 *   decoder refuses (a lone UTF-16 surrogate, nesting beyond 1,000 levels) or is merely big;
 * - a `deleteSession` of thousands of ids over two users: whole, or nothing;
 * - reads that must not change how Redis encodes an index (and so the memory it takes).
 *
 * Sizes: `ADVERSARIAL_DELETE_IDS` sets the ids of the large deleteSession (default 9,000; the
 * README's worst case is 20,000).
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RedisOperationError } from "../mod.ts";
import { type Admin, freshNamespaces, HOUR, useRedis } from "./helpers/harness.ts";
import { FAULT_CLIENTS } from "./faults/clients.ts";
import {
  type AnySession,
  describeError,
  ENTRIES,
  type Entry,
  HOSTILE_VALUES,
  type HostileValue,
  liveSessions,
  makeSession,
  type Namespaces,
  type Ops,
  show,
  snapshotAll,
  snapshotDiff,
  unindexedSessions,
  USER_ID_CLASSES,
} from "./helpers/hostile.ts";

const env = (name: string) =>
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];
const DELETE_IDS = Number(env("ADVERSARIAL_DELETE_IDS") ?? 9000);

/**
 * Runs `check` for every class of user id (each on namespaces of its own) and fails once,
 * listing every problem of every class.
 */
async function forEveryUserIdClass(
  check: (userId: string, index: number) => Promise<string[]>,
): Promise<void> {
  const failures: string[] = [];
  for (const [i, { label, id }] of USER_ID_CLASSES.entries()) {
    let problems: string[];
    try {
      problems = await check(id, i);
    } catch (error) {
      problems = [`threw ${describeError(error)}`];
    }
    for (const p of problems) failures.push(`user id with ${label} (${show(id)}): ${p}`);
  }
  assert.equal(
    failures.length,
    0,
    `${failures.length} problem(s):\n  ${failures.join("\n  ")}`,
  );
}

/** The ids of a user's sessions that are still readable through getSession. */
async function readable(ops: Ops, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) if (await ops.getSession(id) !== null) out.push(id);
  return out;
}

/** Sessions of `userId`, one of which (the second) carries the hostile value. */
function sessionsWithHostileField(
  entry: Entry,
  hostile: HostileValue,
  userId: string,
  tag: string,
): AnySession[] {
  return [
    makeSession(`${tag}-plain-1`, userId, HOUR, { [entry.field]: "Firefox" }),
    makeSession(`${tag}-hostile`, userId, 2 * HOUR, { [entry.field]: hostile.value }),
    makeSession(`${tag}-plain-2`, userId, 3 * HOUR),
  ];
}

for (const kind of FAULT_CLIENTS) {
  describe(`Adversarial data, over ${kind.name}`, { skip: kind.skip }, () => {
    const ctx = useRedis();
    let client: unknown;
    before(async () => {
      const opened = await kind.open(ctx.server.url);
      client = opened.client;
      ctx.cleanups.push(() => opened.close());
    });
    const open = (entry: Entry, options?: { maxSessionsPerUser?: number }) => {
      const ns = freshNamespaces();
      return { ns, ops: entry.open(client, ns, options) };
    };

    for (const entry of ENTRIES) {
      describe(`signing out through ${entry.name}, for user ids of every class JSON escapes`, () => {
        for (const hostile of HOSTILE_VALUES) {
          it(`deleteSessionsByUserId leaves none of the user's sessions readable when one session's ${entry.field} holds ${hostile.label}`, async () => {
            await forEveryUserIdClass(async (userId, i) => {
              const problems: string[] = [];
              const { ns, ops } = open(entry);
              await ops.setSession(
                makeSession("bystander", "someone else", HOUR, { [entry.field]: "Firefox" }),
              );
              const sessions = sessionsWithHostileField(entry, hostile, userId, `u${i}`);
              for (const s of sessions) await ops.setSession(s);
              const ids = sessions.map((s) => s.id);
              const listed = (await ops.getSessionsByUserId(userId)).map((s) => s.id);
              if (JSON.stringify(listed) !== JSON.stringify(ids)) {
                problems.push(`getSessionsByUserId listed ${show(listed.join())} before sign-out`);
              }
              await ops.deleteSessionsByUserId(userId);
              const left = await readable(ops, ids);
              if (left.length > 0) {
                problems.push(`after deleteSessionsByUserId, getSession still reads ${left}`);
              }
              if ((await ops.getSession("bystander")) === null) {
                problems.push("the sign-out deleted another user's session");
              }
              problems.push(...await unindexedSessions(ctx.admin, ns));
              return problems;
            });
          });

          it(`deleteSession removes the id from its owner's index when the session's ${entry.field} holds ${hostile.label}`, async () => {
            await forEveryUserIdClass(async (userId, i) => {
              const problems: string[] = [];
              const { ns, ops } = open(entry);
              const sessions = sessionsWithHostileField(entry, hostile, userId, `u${i}`);
              for (const s of sessions) await ops.setSession(s);
              const target = sessions[1].id;
              await ops.deleteSession(target);
              if (await ops.getSession(target) !== null) {
                problems.push("the session is still there");
              }
              const index = `${ns.userSession}:${userId}`;
              if (await ctx.admin.zScore(index, target) !== null) {
                problems.push(`ZRANGE ${show(index)} still lists ${target}`);
              }
              const rest = await ctx.admin.zRange(index, 0, -1);
              if (JSON.stringify(rest) !== JSON.stringify([sessions[0].id, sessions[2].id])) {
                problems.push(`the index holds ${show(rest.join())}, not the two other sessions`);
              }
              problems.push(...await unindexedSessions(ctx.admin, ns));
              return problems;
            });
          });

          it(`with maxSessionsPerUser: 2, eight logins leave at most two live sessions, all indexed, when every other session's ${entry.field} holds ${hostile.label}`, async () => {
            await forEveryUserIdClass(async (userId, i) => {
              const problems: string[] = [];
              const { ns, ops } = open(entry, { maxSessionsPerUser: 2 });
              const now = Date.now();
              const logins = Array.from({ length: 8 }, (_, n) =>
                makeSession(
                  `u${i}-login${n}`,
                  userId,
                  HOUR + n * 60_000, // Later logins expire later: the oldest are signed out.
                  { [entry.field]: n % 2 === 0 ? hostile.value : "Firefox" },
                  now,
                ));
              for (const s of logins) await ops.setSession(s);
              const live = (await liveSessions(ctx.admin, ns)).filter((s) => s.userId === userId)
                .map((s) => s.id).sort();
              if (live.length > 2) {
                problems.push(`${live.length} sessions are live after 8 logins: ${live.join()}`);
              }
              if (!live.includes(logins[7].id)) problems.push("the last login is not live");
              const listed = await ops.getSessionsByUserId(userId);
              if (listed.length > 2) {
                problems.push(`getSessionsByUserId lists ${listed.length} sessions`);
              }
              problems.push(...await unindexedSessions(ctx.admin, ns));
              return problems;
            });
          });
        }
      });

      it(`getSessionsByUserId through ${entry.name} leaves an index of 1 and of 10 sessions listpack-encoded`, async () => {
        const { ns, ops } = open(entry);
        const problems: string[] = [];
        for (const count of [1, 10]) {
          const user = `reader${count}`;
          for (let n = 0; n < count; n++) {
            await ops.setSession(makeSession(`r${count}-${n}`.padEnd(40, "x"), user, HOUR + n));
          }
          const index = `${ns.userSession}:${user}`;
          const encoding = () => ctx.admin.sendCommand(["OBJECT", "ENCODING", index]);
          const before = await encoding();
          assert.equal((await ops.getSessionsByUserId(user)).length, count);
          const after = await encoding();
          if (before !== "listpack" || after !== "listpack") {
            problems.push(`${count} session(s): ${before} before, ${after} after`);
          }
        }
        assert.deepEqual(problems, [], `the index's encoding: ${problems.join("; ")}`);
      });
    }

    describe(`deleteSession of ${DELETE_IDS.toLocaleString("en-US")} ids over two users`, () => {
      const entry = ENTRIES[0];
      /** Stores `count` sessions alternating between two users; returns their ids. */
      const seed = async (ops: Ops, count: number): Promise<string[]> => {
        const ids = Array.from({ length: count }, (_, n) => `bulk-${n}`);
        const now = Date.now();
        for (let n = 0; n < count; n += 500) {
          await Promise.all(
            ids.slice(n, n + 500).map((id, j) =>
              ops.setSession(
                makeSession(id, (n + j) % 2 === 0 ? "ann" : "bob", HOUR, {}, now + n + j),
              )
            ),
          );
        }
        return ids;
      };
      /** How many of `ids` still have a session key, and how many of those are not indexed. */
      const state = async (admin: Admin, ns: Namespaces, ids: string[]) => {
        let live = 0, unindexed = 0;
        for (let n = 0; n < ids.length; n += 1000) {
          const chunk = ids.slice(n, n + 1000);
          const values = await admin.mGet(chunk.map((id) => `${ns.session}:${id}`));
          const scores = await Promise.all(
            chunk.map((id, j) =>
              values[j] === null
                ? null
                : admin.zScore(`${ns.userSession}:${j % 2 === 0 ? "ann" : "bob"}`, id)
            ),
          );
          values.forEach((v, j) => {
            if (v === null) return;
            live++;
            if (scores[j] === null) unindexed++;
          });
        }
        const indexed = await Promise.all(
          ["ann", "bob"].map((u) => admin.zCard(`${ns.userSession}:${u}`)),
        );
        return { live, unindexed, indexed };
      };

      it(
        "deletes every session and leaves both users' indexes empty",
        { timeout: 120_000 },
        async () => {
          const { ns, ops } = open(entry);
          const ids = await seed(ops, DELETE_IDS);
          let error: unknown;
          try {
            await ops.deleteSession(...ids);
          } catch (e) {
            error = e;
          }
          const after = await state(ctx.admin, ns, ids);
          assert.ok(
            error === undefined && after.live === 0 && after.indexed.every((n) => n === 0),
            `deleteSession ${
              error === undefined ? "resolved" : `rejected: ${describeError(error)}`
            }; ` +
              `afterwards ${after.live} sessions are live (${after.unindexed} of them in no index), ` +
              `the indexes hold ${after.indexed.join(" and ")} ids`,
          );
        },
      );

      it(
        "that rejects on one bad key (a hash under an id, an index holding a string) changes nothing",
        {
          timeout: 120_000,
        },
        async () => {
          const { ns, ops } = open(entry);
          const ids = await seed(ops, DELETE_IDS);
          const problems: string[] = [];
          const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
            [
              "a hash under the last id",
              () => ctx.admin.hSet(`${ns.session}:bad`, "f", "v"),
              () => ctx.admin.del(`${ns.session}:bad`),
            ],
            [
              "bob's index replaced by a string",
              async () => {
                await ctx.admin.rename(`${ns.userSession}:bob`, `${ns.root}:saved`);
                await ctx.admin.set(`${ns.userSession}:bob`, "not an index", { PX: HOUR });
              },
              async () => {
                await ctx.admin.del(`${ns.userSession}:bob`);
                await ctx.admin.rename(`${ns.root}:saved`, `${ns.userSession}:bob`);
              },
            ],
          ];
          for (const [label, breakIt, repair] of cases) {
            await breakIt();
            const before = await snapshotAll(ctx.admin, ns.root);
            let error: unknown;
            try {
              await ops.deleteSession(...ids, "bad");
            } catch (e) {
              error = e;
            }
            const diff = snapshotDiff(before, await snapshotAll(ctx.admin, ns.root));
            if (!(error instanceof RedisOperationError)) {
              problems.push(
                `${label}: expected a RedisOperationError, got ${
                  error === undefined ? "success" : describeError(error)
                }`,
              );
            }
            if (diff.length > 0) {
              problems.push(`${label}: the failed call changed ${diff.join("; ")}`);
            }
            await repair();
          }
          assert.deepEqual(problems, [], problems.join("\n"));
        },
      );
    });
  });
}
