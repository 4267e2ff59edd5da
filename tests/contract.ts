/**
 * The contract suite: every behaviour the adapter promises, run against a real Redis through
 * whichever client a test file opens. Each client's test file calls {@linkcode contractSuite}.
 *
 * @module
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import lucia, { LuciaError } from "lucia-auth";
import redis, {
  InvalidSessionDataError,
  type RedisSessionAdapter,
  type SessionSchema,
} from "../mod.ts";
import {
  type Admin,
  clientCommands,
  freshNamespaces,
  keysUnder,
  recordCommands,
  type RedisServer,
  sleep,
  useRedis,
} from "./harness.ts";
import { memoryUserAdapter } from "./memory_user_adapter.ts";

/** An opened client and how to close it. */
export interface OpenedClient {
  client: unknown;
  close(): Promise<void>;
}

const HOUR = 60 * 60 * 1000;
const YEAR = 365 * 24 * HOUR;
const long = { timeout: 120_000 };

/** A fresh adapter on fresh namespaces, and helpers to look at what it wrote. */
interface Fixture {
  adapter: RedisSessionAdapter;
  ns: ReturnType<typeof freshNamespaces>;
  sessionKey(id: string): string;
  indexKey(userId: string): string;
}

function session(id: string, userId: string, idleInMs = HOUR, extra = {}): SessionSchema {
  const now = Date.now();
  return {
    id,
    user_id: userId,
    active_expires: now + Math.min(idleInMs, HOUR / 2),
    idle_expires: now + idleInMs,
    ...extra,
  };
}

async function rejectsWithoutWriting(
  redis: TestContext,
  run: () => Promise<unknown>,
  expected: RegExp,
  errorType: new (...args: never[]) => Error = TypeError,
) {
  const seen = await recordCommands(redis.server, async () => {
    await assert.rejects(run, (error: unknown) => {
      assert.ok(error instanceof errorType, `expected ${errorType.name}, got ${String(error)}`);
      assert.match((error as Error).message, expected);
      return true;
    });
  });
  assert.deepEqual(clientCommands(seen), [], "no command may reach Redis");
}

interface TestContext {
  server: RedisServer;
  admin: Admin;
  client: unknown;
}

/**
 * Defines the contract suite for one client. `open` connects a client to the given server.
 */
export function contractSuite(
  clientName: string,
  open: (server: RedisServer) => Promise<OpenedClient>,
): void {
  describe(`The Redis session adapter over ${clientName}`, () => {
    const ctx = useRedis() as TestContext & ReturnType<typeof useRedis>;
    let opened: OpenedClient;
    before(async () => {
      opened = await open(ctx.server);
      ctx.client = opened.client;
      ctx.cleanups.push(() => opened.close());
    });

    const fixture = (): Fixture => {
      const ns = freshNamespaces();
      const adapter = redis(
        ctx.client as Parameters<typeof redis>[0],
        { namespaces: { session: ns.session, userSession: ns.userSession } },
      )(LuciaError);
      return {
        adapter,
        ns,
        sessionKey: (id) => `${ns.session}:${id}`,
        indexKey: (userId) => `${ns.userSession}:${userId}`,
      };
    };

    describe("storing and reading sessions", () => {
      it("getSession returns null for an unknown id", async () => {
        const { adapter } = fixture();
        assert.equal(await adapter.getSession("no-such-session"), null);
      });

      it("setSession stores the session as JSON that getSession returns, extra fields included", async () => {
        const { adapter, sessionKey } = fixture();
        const s = session("s1", "u1", HOUR, { device: "phone", n: 3 });
        await adapter.setSession(s);
        assert.deepEqual(await adapter.getSession("s1"), s);
        assert.deepEqual(JSON.parse(String(await ctx.admin.get(sessionKey("s1")))), s);
      });

      it("bigint expiries are accepted, stored as numbers and returned as numbers", async () => {
        const { adapter, sessionKey } = fixture();
        const now = Date.now();
        await adapter.setSession({
          id: "big",
          user_id: "u",
          active_expires: BigInt(now + 1000),
          idle_expires: BigInt(now + HOUR),
        });
        const got = await adapter.getSession("big");
        assert.equal(got?.active_expires, now + 1000);
        assert.equal(got?.idle_expires, now + HOUR);
        assert.match(String(await ctx.admin.get(sessionKey("big"))), /"idle_expires":\d+}/);
      });

      it("the session key expires at idle_expires as an absolute time, not ~54 years later", async () => {
        const { adapter, sessionKey } = fixture();
        const s = session("ttl", "u", 2 * HOUR);
        await adapter.setSession(s);
        const expireTime = Number(await ctx.admin.sendCommand(["PEXPIRETIME", sessionKey("ttl")]));
        assert.equal(expireTime, s.idle_expires);
        const ttl = Number(await ctx.admin.pTTL(sessionKey("ttl")));
        assert.ok(ttl > 2 * HOUR - 60_000 && ttl <= 2 * HOUR, `PTTL was ${ttl}`);
        assert.ok(ttl < YEAR);
      });

      it("a session whose idle expiry has passed is gone", async () => {
        const { adapter } = fixture();
        await adapter.setSession(session("short", "u", 150));
        assert.notEqual(await adapter.getSession("short"), null);
        await sleep(250);
        assert.equal(await adapter.getSession("short"), null);
        assert.deepEqual(await adapter.getSessionsByUserId("u"), []);
      });

      it("a session whose idle expiry is already past leaves nothing in Redis", async () => {
        const { adapter, ns } = fixture();
        const now = Date.now();
        await adapter.setSession({
          id: "past",
          user_id: "u",
          active_expires: now - 2000,
          idle_expires: now - 1000,
        });
        assert.equal(await adapter.getSession("past"), null);
        assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
      });

      it("getSessionsByUserId leaves out a session whose user_id is another user's", async () => {
        const { adapter, indexKey } = fixture();
        await adapter.setSession(session("mine", "alice"));
        await adapter.setSession(session("theirs", "bob"));
        // A stale entry pointing at another user's session, as if an id had been reused.
        await ctx.admin.zAdd(indexKey("alice"), { score: Date.now() + HOUR, value: "theirs" });
        assert.deepEqual((await adapter.getSessionsByUserId("alice")).map((s) => s.id), ["mine"]);
      });
    });

    describe("duplicate ids", () => {
      it("setSession on an id in use rejects with AUTH_DUPLICATE_SESSION_ID and changes nothing", async () => {
        const { adapter, indexKey } = fixture();
        const first = session("dup", "alice");
        await adapter.setSession(first);
        await assert.rejects(
          adapter.setSession(session("dup", "mallory", 3 * HOUR)),
          (error: unknown) =>
            error instanceof LuciaError && error.message === "AUTH_DUPLICATE_SESSION_ID",
        );
        assert.deepEqual(await adapter.getSession("dup"), first);
        assert.equal(await ctx.admin.exists(indexKey("mallory")), 0);
        assert.deepEqual(await adapter.getSessionsByUserId("mallory"), []);
      });

      it("20 concurrent inserts of one id give one winner, indexed under the winner's user only", async () => {
        const { adapter } = fixture();
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => adapter.setSession(session("race", `user${i}`))),
        );
        const winners = results.flatMap((r, i) => r.status === "fulfilled" ? [i] : []);
        assert.equal(winners.length, 1);
        for (const r of results) {
          if (r.status === "rejected") {
            assert.ok(r.reason instanceof LuciaError);
            assert.equal(r.reason.message, "AUTH_DUPLICATE_SESSION_ID");
          }
        }
        const winner = `user${winners[0]}`;
        assert.equal((await adapter.getSession("race"))?.user_id, winner);
        for (let i = 0; i < 20; i++) {
          const ids = (await adapter.getSessionsByUserId(`user${i}`)).map((s) => s.id);
          assert.deepEqual(ids, `user${i}` === winner ? ["race"] : []);
        }
      });

      it("without a LuciaError from Lucia, a duplicate still rejects with lucia-auth's LuciaError", async () => {
        const ns = freshNamespaces();
        const adapter = redis(ctx.client as Parameters<typeof redis>[0], {
          namespaces: { session: ns.session, userSession: ns.userSession },
        })();
        await adapter.setSession(session("dup", "u"));
        await assert.rejects(
          adapter.setSession(session("dup", "u")),
          (error: unknown) =>
            error instanceof LuciaError && error.message === "AUTH_DUPLICATE_SESSION_ID",
        );
      });
    });

    describe("the user index", () => {
      it("getSessionsByUserId returns only that user's live sessions, by idle expiry", async () => {
        const { adapter } = fixture();
        const a2 = session("a2", "alice", 2 * HOUR);
        const a1 = session("a1", "alice", HOUR);
        await adapter.setSession(a2);
        await adapter.setSession(a1);
        await adapter.setSession(session("b1", "bob"));
        await adapter.setSession(session("a-dead", "alice", 100));
        await sleep(200);
        assert.deepEqual(await adapter.getSessionsByUserId("alice"), [a1, a2]);
        assert.deepEqual(await adapter.getSessionsByUserId("nobody"), []);
      });

      it("the index is a sorted set scored by idle_expires that expires with the last session", async () => {
        const { adapter, indexKey } = fixture();
        const s1 = session("s1", "u", HOUR);
        const s2 = session("s2", "u", 3 * HOUR);
        await adapter.setSession(s2);
        await adapter.setSession(s1);
        assert.equal(await ctx.admin.type(indexKey("u")), "zset");
        assert.equal(Number(await ctx.admin.zScore(indexKey("u"), "s1")), s1.idle_expires);
        assert.equal(Number(await ctx.admin.zScore(indexKey("u"), "s2")), s2.idle_expires);
        const expireTime = Number(await ctx.admin.sendCommand(["PEXPIRETIME", indexKey("u")]));
        assert.equal(expireTime, s2.idle_expires);
        await adapter.deleteSession("s2");
        const after = Number(await ctx.admin.sendCommand(["PEXPIRETIME", indexKey("u")]));
        assert.equal(after, s1.idle_expires);
      });

      it("expired ids are pruned from the index by the next write for that user", async () => {
        const { adapter, indexKey } = fixture();
        await adapter.setSession(session("old", "u", 100));
        await sleep(200);
        await adapter.setSession(session("new", "u"));
        assert.deepEqual(await ctx.admin.zRange(indexKey("u"), 0, -1), ["new"]);
      });

      it("ids whose session key vanished (evicted or deleted by hand) are pruned on read", async () => {
        const { adapter, indexKey, sessionKey } = fixture();
        await adapter.setSession(session("kept", "u"));
        await adapter.setSession(session("lost", "u", 2 * HOUR));
        await ctx.admin.del(sessionKey("lost"));
        assert.deepEqual((await adapter.getSessionsByUserId("u")).map((s) => s.id), ["kept"]);
        assert.deepEqual(await ctx.admin.zRange(indexKey("u"), 0, -1), ["kept"]);
        const expireTime = Number(await ctx.admin.sendCommand(["PEXPIRETIME", indexKey("u")]));
        assert.equal(expireTime, (await adapter.getSession("kept"))?.idle_expires);
      });

      it("once every session has expired, no key of the adapter remains in Redis", async () => {
        const { adapter, ns } = fixture();
        for (let i = 0; i < 5; i++) await adapter.setSession(session(`s${i}`, `u${i % 2}`, 150));
        assert.equal((await keysUnder(ctx.admin, ns.root)).length, 7);
        await sleep(300);
        assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
      });
    });

    describe("deleting sessions", () => {
      it("deleteSession removes the session and its id from the user's index", async () => {
        const { adapter, indexKey, sessionKey } = fixture();
        await adapter.setSession(session("gone", "u"));
        await adapter.setSession(session("stays", "u"));
        await adapter.deleteSession("gone");
        assert.equal(await ctx.admin.exists(sessionKey("gone")), 0);
        assert.deepEqual(await ctx.admin.zRange(indexKey("u"), 0, -1), ["stays"]);
      });

      it("deleteSession of a user's last session leaves no key behind", async () => {
        const { adapter, ns } = fixture();
        await adapter.setSession(session("only", "u"));
        await adapter.deleteSession("only");
        assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
      });

      it("deleteSession accepts several ids (as older Lucia 1.x passed them), or none", async () => {
        const { adapter, ns } = fixture();
        await adapter.setSession(session("x", "u1"));
        await adapter.setSession(session("y", "u2"));
        await adapter.setSession(session("z", "u2"));
        await adapter.deleteSession();
        await adapter.deleteSession("x", "y", "unknown");
        assert.deepEqual((await adapter.getSessionsByUserId("u2")).map((s) => s.id), ["z"]);
        assert.deepEqual(await keysUnder(ctx.admin, ns.root), [
          `${ns.session}:z`,
          `${ns.userSession}:u2`,
        ]);
      });

      it("deleteSession of an unknown id resolves and changes nothing", async () => {
        const { adapter, ns } = fixture();
        await adapter.setSession(session("s", "u"));
        await adapter.deleteSession("unknown");
        assert.equal((await keysUnder(ctx.admin, ns.root)).length, 2);
      });

      it("deleteSessionsByUserId removes all of the user's sessions and the index, and no one else's", async () => {
        const { adapter, ns } = fixture();
        for (let i = 0; i < 10; i++) await adapter.setSession(session(`a${i}`, "alice"));
        await adapter.setSession(session("b", "bob"));
        await adapter.deleteSessionsByUserId("alice");
        assert.deepEqual(await adapter.getSessionsByUserId("alice"), []);
        assert.deepEqual(await keysUnder(ctx.admin, ns.root), [
          `${ns.session}:b`,
          `${ns.userSession}:bob`,
        ]);
      });

      it(
        "a user with 100,000 sessions can list them all and be signed out everywhere",
        long,
        async () => {
          const { adapter, ns, indexKey } = fixture();
          const count = 100_000;
          const idle = Date.now() + HOUR;
          // Seed in the documented model with a script, in batches (test fixture, not the adapter).
          const seed = `for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
          local id = 'sess' .. i
          redis.call('SET', ARGV[3] .. id, cjson.encode({id = id, user_id = 'many',
            active_expires = tonumber(ARGV[4]), idle_expires = tonumber(ARGV[4])}), 'PXAT', ARGV[4])
          redis.call('ZADD', KEYS[1], ARGV[4], id)
        end`;
          for (let start = 0; start < count; start += 20_000) {
            await ctx.admin.sendCommand([
              "EVAL",
              seed,
              "1",
              indexKey("many"),
              String(start),
              String(start + 19_999),
              `${ns.session}:`,
              String(idle),
            ]);
          }
          await adapter.setSession(session("one-more", "many"));
          const sessions = await adapter.getSessionsByUserId("many");
          assert.equal(sessions.length, count + 1);
          assert.equal(new Set(sessions.map((s) => s.id)).size, count + 1);
          await adapter.deleteSessionsByUserId("many");
          assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
        },
      );
    });

    describe("ids are data, never patterns", () => {
      const strange = [
        "a:b:c",
        "*",
        "?",
        "[a-z]",
        "{tag}",
        "line\nbreak\r\n",
        "üñíçødé 🔑 セッション",
        'quote"back\\slash',
        "x".repeat(2048),
      ];
      it("session and user ids with : * ? [ { newlines, unicode or 2 KB of text round-trip exactly", async () => {
        const { adapter, sessionKey, indexKey, ns } = fixture();
        for (const [i, id] of strange.entries()) {
          const userId = strange[(i + 1) % strange.length];
          const s = session(id, userId);
          await adapter.setSession(s);
          assert.deepEqual(await adapter.getSession(id), s);
          assert.equal(await ctx.admin.exists(sessionKey(id)), 1);
          assert.equal(Number(await ctx.admin.zScore(indexKey(userId), id)), s.idle_expires);
          assert.deepEqual(await adapter.getSessionsByUserId(userId), [s]);
        }
        // A glob-looking id must not match other keys.
        assert.equal(await adapter.getSession("s*"), null);
        await adapter.deleteSession(strange[0]);
        assert.equal(await adapter.getSession(strange[0]), null);
        await adapter.deleteSessionsByUserId(strange[2]);
        assert.equal(await adapter.getSession(strange[1]), null);
        assert.deepEqual(
          await adapter.getSession(strange[3]),
          await adapter.getSession(strange[3]),
        );
        for (const id of strange) await adapter.deleteSessionsByUserId(id);
        assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
      });

      it("no request path sends KEYS or SCAN, and each operation is exactly one command", async () => {
        const { adapter } = fixture();
        const all: string[] = [];
        const once = async (name: string, fn: () => Promise<unknown>) => {
          // Twice: the first run loads the script (EVAL), later runs use EVALSHA.
          for (let round = 0; round < 2; round++) {
            const seen = await recordCommands(ctx.server, fn);
            all.push(...seen.map((c) => c.name));
            assert.equal(clientCommands(seen).length, 1, `${name}: ${clientCommands(seen)}`);
          }
        };
        let n = 0;
        await once("setSession", () => adapter.setSession(session(`s${n++}`, "u")));
        await once("getSession", () => adapter.getSession("s0"));
        for (const perUser of [1, 10, 100]) {
          const user = `user-with-${perUser}`;
          for (let i = 0; i < perUser; i++) await adapter.setSession(session(`${user}-${i}`, user));
          await once(`getSessionsByUserId(${perUser})`, () => adapter.getSessionsByUserId(user));
        }
        await once("deleteSession", () => adapter.deleteSession("s0"));
        await once("deleteSession(several)", () => adapter.deleteSession("s1", "s2", "s3"));
        await once("deleteSessionsByUserId", () => adapter.deleteSessionsByUserId("user-with-10"));
        assert.ok(!all.includes("KEYS") && !all.includes("SCAN"), all.join(" "));
      });
    });

    describe("bad input and bad data", () => {
      it("setSession with a missing or empty id or user_id rejects with a TypeError before any Redis call", async () => {
        const { adapter } = fixture();
        const good = session("ok", "u");
        const bad: [unknown, RegExp][] = [
          [{ ...good, id: undefined }, /session's id: expected a string/],
          [{ ...good, id: "" }, /session's id: it is empty/],
          [{ ...good, user_id: "" }, /user_id .* it is empty/],
          [{ ...good, user_id: 42 }, /user_id .* expected a string/],
          [{ ...good, id: "\uD800" }, /lone UTF-16 surrogate/],
          [null, /expected an object/],
        ];
        for (const [input, message] of bad) {
          await rejectsWithoutWriting(
            ctx,
            () => adapter.setSession(input as SessionSchema),
            message,
          );
        }
      });

      it("setSession with a non-finite expiry rejects with a TypeError before any Redis call", async () => {
        const { adapter } = fixture();
        const good = session("ok", "u");
        for (const value of [NaN, Infinity, "1700000000000", undefined]) {
          await rejectsWithoutWriting(
            ctx,
            () => adapter.setSession({ ...good, idle_expires: value } as unknown as SessionSchema),
            /idle_expires must be a finite number or bigint/,
          );
        }
        await rejectsWithoutWriting(
          ctx,
          () => adapter.setSession({ ...good, active_expires: -Infinity }),
          /active_expires must be a finite number/,
        );
        await rejectsWithoutWriting(
          ctx,
          () => adapter.setSession({ ...good, idle_expires: 0 }),
          /idle_expires must be positive/,
          RangeError,
        );
        await rejectsWithoutWriting(
          ctx,
          () => adapter.setSession({ ...good, extra: 1n }),
          /cannot be turned into JSON/,
        );
      });

      it("a stored value that is not JSON raises InvalidSessionDataError naming the key", async () => {
        const { adapter, sessionKey } = fixture();
        await adapter.setSession(session("fine", "u"));
        await ctx.admin.set(sessionKey("bad"), "{not json");
        await assert.rejects(adapter.getSession("bad"), (error: unknown) => {
          assert.ok(error instanceof InvalidSessionDataError);
          assert.equal(error.key, sessionKey("bad"));
          assert.match(error.message, new RegExp(`"${sessionKey("bad")}": it is not valid JSON`));
          assert.ok(error.cause instanceof SyntaxError);
          return true;
        });
        await ctx.admin.set(sessionKey("half"), '{"id":"half"}');
        await assert.rejects(adapter.getSession("half"), /"user_id" is not a string/);
      });

      it("getSessionsByUserId raises InvalidSessionDataError naming the key of a corrupt session", async () => {
        const { adapter, sessionKey } = fixture();
        await adapter.setSession(session("fine", "u"));
        await adapter.setSession(session("corrupt", "u", 2 * HOUR));
        await ctx.admin.set(sessionKey("corrupt"), "[1,2", { KEEPTTL: true });
        await assert.rejects(adapter.getSessionsByUserId("u"), (error: unknown) => {
          assert.ok(error instanceof InvalidSessionDataError);
          assert.equal(error.key, sessionKey("corrupt"));
          return true;
        });
        // Signing out still works on corrupt data.
        await adapter.deleteSession("corrupt");
        assert.deepEqual((await adapter.getSessionsByUserId("u")).map((s) => s.id), ["fine"]);
      });

      it("Redis errors such as WRONGTYPE propagate unchanged, and setSession writes nothing then", async () => {
        const { adapter, indexKey, sessionKey } = fixture();
        await ctx.admin.hSet(indexKey("hashed"), "f", "v");
        await assert.rejects(adapter.getSessionsByUserId("hashed"), /WRONGTYPE/);
        await assert.rejects(adapter.setSession(session("s", "hashed")), /WRONGTYPE/);
        assert.equal(await ctx.admin.exists(sessionKey("s")), 0);
        await assert.rejects(adapter.deleteSessionsByUserId("hashed"), /WRONGTYPE/);
        await ctx.admin.hSet(sessionKey("h"), "f", "v");
        await assert.rejects(adapter.getSession("h"), /WRONGTYPE/);
      });
    });

    describe("data left by the earlier adapters", () => {
      const legacySession = (id: string, userId: string, idleInMs: number) => {
        const now = Date.now();
        return {
          id,
          user_id: userId,
          active_expires: now + idleInMs / 2,
          idle_expires: now + idleInMs,
        };
      };
      const seedLegacy = async (
        f: Fixture,
        kind: "list" | "set",
        userId: string,
      ): Promise<ReturnType<typeof legacySession>[]> => {
        const live = [
          legacySession("live1", userId, HOUR),
          legacySession("live2", userId, 2 * HOUR),
        ];
        const dead = legacySession("dead", userId, -1000);
        // The earlier adapter's bug: the timestamp as a relative EX, so ~54 years.
        for (const s of [...live, dead]) {
          await ctx.admin.set(f.sessionKey(s.id), JSON.stringify(s), {
            EX: Math.floor(s.idle_expires),
          });
        }
        const ids = ["live1", "dead", "missing", "live2"];
        if (kind === "list") await ctx.admin.rPush(f.indexKey(userId), ids);
        else await ctx.admin.sAdd(f.indexKey(userId), ids);
        return live;
      };

      for (const kind of ["list", "set"] as const) {
        const era = kind === "list" ? "1.x" : "2.x";
        it(`an index ${kind} left by the ${era} adapter is read and converted in place, keeping live sessions`, async () => {
          const f = fixture();
          const live = await seedLegacy(f, kind, "old");
          assert.deepEqual(await f.adapter.getSessionsByUserId("old"), live);
          assert.equal(await ctx.admin.type(f.indexKey("old")), "zset");
          assert.deepEqual(await ctx.admin.zRange(f.indexKey("old"), 0, -1), ["live1", "live2"]);
          for (const s of live) {
            const expireTime = Number(
              await ctx.admin.sendCommand(["PEXPIRETIME", f.sessionKey(s.id)]),
            );
            assert.equal(expireTime, s.idle_expires, "the ~54-year TTL is corrected");
          }
          assert.equal(await ctx.admin.exists(f.sessionKey("dead")), 0);
          const indexExpiry = Number(
            await ctx.admin.sendCommand(["PEXPIRETIME", f.indexKey("old")]),
          );
          assert.equal(indexExpiry, live[1].idle_expires);
        });

        it(`setSession, deleteSession and deleteSessionsByUserId work on a ${era} index ${kind}`, async () => {
          const f = fixture();
          await seedLegacy(f, kind, "a");
          await f.adapter.setSession(session("fresh", "a", 1.5 * HOUR));
          assert.deepEqual(
            (await f.adapter.getSessionsByUserId("a")).map((s) => s.id),
            ["live1", "fresh", "live2"],
          );
          const g = fixture();
          await seedLegacy(g, kind, "b");
          await g.adapter.deleteSession("live1");
          assert.deepEqual(await ctx.admin.zRange(g.indexKey("b"), 0, -1), ["live2"]);
          const h = fixture();
          await seedLegacy(h, kind, "c");
          await h.adapter.deleteSessionsByUserId("c");
          assert.deepEqual(await keysUnder(ctx.admin, h.ns.root), []);
        });
      }
    });

    describe("with lucia-auth 1.8", () => {
      const makeAuth = (autoDatabaseCleanup = true) => {
        const ns = freshNamespaces();
        return lucia({
          adapter: {
            user: memoryUserAdapter(),
            session: redis(ctx.client as Parameters<typeof redis>[0], {
              namespaces: { session: ns.session, userSession: ns.userSession },
            }),
          },
          env: "DEV",
          autoDatabaseCleanup,
          sessionExpiresIn: { activePeriod: 60_000, idlePeriod: 60_000 },
        });
      };

      it("createUser, createSession, validateSession, renewSession and getAllUserSessions work", async () => {
        const auth = makeAuth();
        const user = await auth.createUser({
          primaryKey: { providerId: "email", providerUserId: "a@example.com", password: "pw" },
          attributes: {},
        });
        const first = await auth.createSession(user.userId);
        const validated = await auth.validateSession(first.sessionId);
        assert.equal(validated.sessionId, first.sessionId);
        assert.equal(validated.userId, user.userId);
        const renewed = await auth.renewSession(first.sessionId);
        assert.notEqual(renewed.sessionId, first.sessionId);
        const all = await auth.getAllUserSessions(user.userId);
        assert.deepEqual(
          all.map((s) => s.sessionId).sort(),
          [first.sessionId, renewed.sessionId].sort(),
        );
      });

      it("invalidateSession signs one session out and invalidateAllUserSessions signs out everywhere", async () => {
        const auth = makeAuth();
        const user = await auth.createUser({ primaryKey: null, attributes: {} });
        const sessions = await Promise.all(
          Array.from({ length: 3 }, () => auth.createSession(user.userId)),
        );
        await auth.invalidateSession(sessions[0].sessionId);
        await assert.rejects(
          auth.validateSession(sessions[0].sessionId),
          /AUTH_INVALID_SESSION_ID/,
        );
        assert.equal((await auth.getAllUserSessions(user.userId)).length, 2);
        await auth.invalidateAllUserSessions(user.userId);
        for (const s of sessions) {
          await assert.rejects(auth.validateSession(s.sessionId), /AUTH_INVALID_SESSION_ID/);
        }
        assert.deepEqual(await auth.getAllUserSessions(user.userId), []);
      });

      it("an idle session is renewed by validateSession, and autoDatabaseCleanup deletes dead ones", async () => {
        const ns = freshNamespaces();
        const adapter = redis(ctx.client as Parameters<typeof redis>[0], {
          namespaces: { session: ns.session, userSession: ns.userSession },
        })();
        const auth = lucia({
          adapter: {
            user: memoryUserAdapter(),
            session: redis(ctx.client as Parameters<typeof redis>[0], {
              namespaces: { session: ns.session, userSession: ns.userSession },
            }),
          },
          env: "DEV",
        });
        const user = await auth.createUser({ primaryKey: null, attributes: {} });
        const now = Date.now();
        // An idle session (active period over, idle period not) gets renewed.
        await adapter.setSession({
          id: "i".repeat(40),
          user_id: user.userId,
          active_expires: now - 1000,
          idle_expires: now + HOUR,
        });
        const renewed = await auth.validateSession("i".repeat(40));
        assert.notEqual(renewed.sessionId, "i".repeat(40));
        assert.equal(renewed.fresh, true);
        // A dead session stored with a future key expiry (e.g. written by hand) is cleaned up.
        await ctx.admin.set(
          `${ns.session}:${"d".repeat(40)}`,
          JSON.stringify({
            id: "d".repeat(40),
            user_id: user.userId,
            active_expires: now - 2000,
            idle_expires: now - 1000,
          }),
          { PX: HOUR },
        );
        await assert.rejects(auth.validateSession("d".repeat(40)), /AUTH_INVALID_SESSION_ID/);
        assert.equal(await ctx.admin.exists(`${ns.session}:${"d".repeat(40)}`), 0);
      });
    });
  });
}
