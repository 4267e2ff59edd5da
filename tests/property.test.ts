/**
 * Property-based tests (fast-check): random sequences of the five operations over a few users,
 * with ids full of `:`, `*`, `{`, newlines and unicode, run against a real Redis and compared step
 * by step with an in-memory model. User ids come from every class of character JSON escapes
 * (`"`, `\`, newline, tab, U+0000–U+001F) and non-ASCII ones; a session's extra field may hold a
 * lone UTF-16 surrogate, arrays nested deeper than Redis's Lua JSON decoder accepts, or a large
 * string; a `deleteSession` may take many ids over two users, or meet a key of the wrong type.
 *
 * After every step, what is in Redis is checked against the promises: every live session is in
 * its owner's index, no key lacks an expiry, `getSession` equals the model, signing a user out
 * leaves none of the user's sessions, and an operation that failed changed nothing.
 *
 * A failure prints fast-check's seed and path; replay it with `PROPERTY_SEED=<seed>` (and
 * `PROPERTY_PATH=<path>`). `PROPERTY_RUNS=<n>` runs more cases (default 40 per client). Sizes:
 * `PROPERTY_MAX_DEPTH` (deepest nesting, default 1,200), `PROPERTY_BIG_STRING` (largest string
 * field in bytes, default 65,536; 1048576 for 1 MB), `PROPERTY_BULK_MAX` (most ids of one large
 * deleteSession, default 120; up to 20,000).
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LuciaError } from "lucia-auth";
import redis, {
  RedisOperationError,
  type RedisSessionAdapter,
  type SessionSchema,
} from "../mod.ts";
import { type Admin, freshNamespaces, keysUnder, useRedis } from "./helpers/harness.ts";
import { checkInvariants } from "./faults/harness.ts";
import { FAULT_CLIENTS } from "./faults/clients.ts";
import {
  bigString,
  describeError,
  type Namespaces,
  nestedArrays,
  show,
  snapshotAll,
  snapshotDiff,
  USER_ID_CLASSES,
} from "./helpers/hostile.ts";

const env = (name: string) =>
  (globalThis as { process?: { env: Record<string, string> } }).process
    ?.env[name];
const RUNS = Number(env("PROPERTY_RUNS") ?? 40);
const SEED = env("PROPERTY_SEED") === undefined ? undefined : Number(env("PROPERTY_SEED"));
const PATH = env("PROPERTY_PATH");
const MAX_DEPTH = Number(env("PROPERTY_MAX_DEPTH") ?? 1200);
const BIG_STRING = Number(env("PROPERTY_BIG_STRING") ?? 65_536);
const BULK_MAX = Number(env("PROPERTY_BULK_MAX") ?? 120);

const HOUR = 60 * 60 * 1000;
const WELL_FORMED = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

/** Ids that have broken key handling elsewhere, and random unicode. */
const idArb = fc.oneof(
  fc.constantFrom("a:b", "*", "?", "[x]", "{tag}", "line\nbreak", "🔑", "42", "null", " "),
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }).filter((s) => WELL_FORMED.test(s)),
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 6 }),
);
/** A few users, so that sequences meet the same user again: every JSON escape class among them. */
const userArb = fc.oneof(
  fc.constantFrom("alice", "b:o:b", "{carol}", "dü\nve"),
  fc.constantFrom(...USER_ID_CLASSES.map((c) => c.id)),
);

/**
 * What a session's extra field holds, as a description (so that a counterexample prints short):
 * nothing, a short string, a lone surrogate, nested arrays, or a large string.
 */
type Payload =
  | { kind: "none" }
  | { kind: "text"; length: number }
  | { kind: "surrogate"; text: string }
  | { kind: "nested"; depth: number }
  | { kind: "big"; bytes: number };

const payloadArb: fc.Arbitrary<Payload> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: "none" as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("text" as const),
      length: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("surrogate" as const),
      text: fc.constantFrom("Pixel \uD83D", "\uDE00 tail", "a\uD800b\uDFFF"),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("nested" as const),
      depth: fc.oneof(
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(999, 1000, 1001, 1200).map((d) => Math.min(d, MAX_DEPTH)),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("big" as const),
      bytes: fc.integer({ min: 1024, max: Math.max(1024, BIG_STRING) }),
    }),
  },
);

function payloadValue(p: Payload): unknown {
  switch (p.kind) {
    case "none":
      return undefined;
    case "text":
      return "x".repeat(p.length);
    case "surrogate":
      return p.text;
    case "nested":
      return nestedArrays(p.depth);
    case "big":
      return bigString(p.bytes);
  }
}

type Step =
  | { op: "set"; id: string; user: string; payload: Payload }
  | { op: "get"; id: string }
  | { op: "list"; user: string }
  | { op: "delete"; ids: string[] }
  | { op: "deleteUser"; user: string }
  /** `count` new sessions over two users, then one deleteSession of all of them and `extra`. */
  | { op: "bulk"; users: string[]; count: number; extra: string[] }
  /** A deleteSession of `ids` and of a key holding a hash: it must fail and change nothing. */
  | { op: "deleteWithBadKey"; ids: string[] };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("set" as const),
      id: idArb,
      user: userArb,
      payload: payloadArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("get" as const), id: idArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("list" as const), user: userArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("delete" as const),
      ids: fc.array(idArb, { maxLength: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("deleteUser" as const), user: userArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("bulk" as const),
      users: fc.uniqueArray(userArb, { minLength: 2, maxLength: 2 }),
      count: fc.oneof(
        fc.integer({ min: 2, max: 20 }),
        fc.integer({ min: 2, max: Math.max(2, BULK_MAX) }),
      ),
      extra: fc.array(idArb, { maxLength: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("deleteWithBadKey" as const),
      ids: fc.array(idArb, { maxLength: 3 }),
    }),
  },
);

let clock = Date.now();
let serial = 0;

/** The step's own context: the adapter, the model, and where its keys are. */
interface Run {
  adapter: RedisSessionAdapter;
  model: Map<string, SessionSchema>;
  admin: Admin;
  ns: Namespaces;
}

/**
 * Runs an operation that writes. If it rejects, nothing under the namespace may have changed;
 * then the error is returned when `expected` accepts it (and thrown otherwise).
 */
async function writes(
  run: Run,
  what: string,
  work: () => Promise<unknown>,
  expected: (error: unknown) => boolean = () => false,
): Promise<unknown> {
  const before = await snapshotAll(run.admin, run.ns.root);
  try {
    await work();
    return undefined;
  } catch (error) {
    const diff = snapshotDiff(before, await snapshotAll(run.admin, run.ns.root));
    assert.deepEqual(
      diff,
      [],
      `${what} failed (${describeError(error)}) and still changed ${diff.join("; ")}`,
    );
    if (!expected(error)) throw error;
    return error;
  }
}

const newSession = (id: string, user: string, payload: Payload = { kind: "none" }) => {
  clock += 1; // Distinct idle expiries: a stable order to compare.
  const value = payloadValue(payload);
  return {
    id,
    user_id: user,
    active_expires: clock + HOUR,
    idle_expires: clock + 2 * HOUR,
    ...(value === undefined ? {} : { device: value }),
  } as SessionSchema;
};

/** Runs one step on the adapter and on the model, and compares. */
async function step(run: Run, s: Step): Promise<void> {
  const { adapter, model } = run;
  switch (s.op) {
    case "set": {
      const session = newSession(s.id, s.user, s.payload);
      const existing = model.get(s.id);
      if (existing === undefined) {
        await writes(run, "setSession", () => adapter.setSession(session));
        model.set(s.id, session);
      } else {
        const error = await writes(
          run,
          "setSession of a taken id",
          () => adapter.setSession(session),
          (e) => e instanceof LuciaError && e.message === "AUTH_DUPLICATE_SESSION_ID",
        );
        assert.ok(error !== undefined, "setSession of a taken id must be refused");
        // A retry of the very write that stored the session succeeds.
        await writes(run, "setSession retried", () => adapter.setSession(existing));
      }
      return;
    }
    case "get":
      assert.deepEqual(await adapter.getSession(s.id), model.get(s.id) ?? null);
      return;
    case "list": {
      const expected = [...model.values()].filter((m) => m.user_id === s.user)
        .sort((a, b) => Number(a.idle_expires) - Number(b.idle_expires));
      assert.deepEqual(await adapter.getSessionsByUserId(s.user), expected);
      return;
    }
    case "delete":
      await writes(run, "deleteSession", () => adapter.deleteSession(...s.ids));
      for (const id of s.ids) model.delete(id);
      return;
    case "deleteUser": {
      const had = [...model.values()].filter((m) => m.user_id === s.user).map((m) => m.id);
      assert.deepEqual(
        (await adapter.getSessionsByUserId(s.user)).map((m) => m.id).sort(),
        had.sort(),
        "getSessionsByUserId lists every live session of the user before signing out",
      );
      await writes(run, "deleteSessionsByUserId", () => adapter.deleteSessionsByUserId(s.user));
      for (const id of had) model.delete(id);
      assert.deepEqual(await adapter.getSessionsByUserId(s.user), []);
      for (const id of had) {
        assert.equal(await adapter.getSession(id), null, `${show(id)} outlived the sign-out`);
      }
      return;
    }
    case "bulk": {
      const batch = serial++;
      const sessions = Array.from(
        { length: s.count },
        (_, n) => newSession(`bulk${batch}.${n}`, s.users[n % 2]),
      ).filter((m) => !model.has(m.id));
      for (let n = 0; n < sessions.length; n += 500) {
        await Promise.all(sessions.slice(n, n + 500).map((m) => adapter.setSession(m)));
      }
      for (const m of sessions) model.set(m.id, m);
      const ids = [...sessions.map((m) => m.id), ...s.extra];
      await writes(run, `deleteSession of ${ids.length} ids`, () => adapter.deleteSession(...ids));
      for (const id of ids) model.delete(id);
      return;
    }
    case "deleteWithBadKey": {
      const bad = `bad${serial++}`;
      if (model.has(bad)) return;
      const key = `${run.ns.session}:${bad}`;
      await run.admin.hSet(key, "f", "v");
      const error = await writes(
        run,
        "deleteSession meeting a hash",
        () => adapter.deleteSession(...s.ids, bad),
        (e) => e instanceof RedisOperationError,
      );
      assert.ok(error !== undefined, "deleteSession of a key holding a hash must fail");
      await run.admin.del(key);
      return;
    }
  }
}

for (const kind of FAULT_CLIENTS) {
  describe(`Random sequences of operations match the model, over ${kind.name}`, {
    skip: kind.skip,
  }, () => {
    const ctx = useRedis();
    let client: unknown;
    before(async () => {
      const opened = await kind.open(ctx.server.url);
      client = opened.client;
      ctx.cleanups.push(() => opened.close());
    });

    it("every step agrees with the model, and every promise holds after each step", {
      timeout: 300_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { maxLength: 25 }), async (steps) => {
          const ns = freshNamespaces();
          const adapter = redis(client as Parameters<typeof redis>[0], {
            namespaces: { session: ns.session, userSession: ns.userSession },
            evictionWarning: false,
          })(LuciaError);
          const run: Run = { adapter, model: new Map(), admin: ctx.admin, ns };
          for (const s of steps) {
            await step(run, s);
            const live = await checkInvariants(ctx.admin, ns);
            assert.deepEqual([...live.keys()].sort(), [...run.model.keys()].sort());
            if (s.op === "deleteUser") {
              const left = [...live.values()].filter((f) => f.userId === s.user);
              assert.deepEqual(left.map((f) => f.id), [], "signing out left sessions of the user");
            }
          }
          for (const user of new Set([...run.model.values()].map((m) => m.user_id))) {
            await adapter.deleteSessionsByUserId(user);
          }
          assert.deepEqual(
            await keysUnder(ctx.admin, ns.root),
            [],
            "signing every user out leaves nothing under the namespace",
          );
        }),
        { numRuns: RUNS, seed: SEED, path: PATH },
      );
    });
  });
}
