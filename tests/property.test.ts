/**
 * Property-based tests (fast-check): random sequences of the five operations over a few users,
 * with ids full of `:`, `*`, `{`, newlines and unicode, run against a real Redis and compared step
 * by step with an in-memory model. After every step, what is in Redis is checked against the
 * promises: every live session is in its owner's index, no key lacks an expiry, `getSession`
 * equals the model, and signing a user out leaves none of the user's sessions.
 *
 * A failure prints fast-check's seed and path; replay it with `PROPERTY_SEED=<seed>` (and
 * `PROPERTY_PATH=<path>`). `PROPERTY_RUNS=<n>` runs more cases (default 40 per client).
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LuciaError } from "lucia-auth";
import redis, { type RedisSessionAdapter, type SessionSchema } from "../mod.ts";
import { freshNamespaces, keysUnder, useRedis } from "./harness.ts";
import { checkInvariants } from "./faults/harness.ts";
import { FAULT_CLIENTS } from "./faults/clients.ts";

const env = (name: string) =>
  (globalThis as { process?: { env: Record<string, string> } }).process
    ?.env[name];
const RUNS = Number(env("PROPERTY_RUNS") ?? 40);
const SEED = env("PROPERTY_SEED") === undefined ? undefined : Number(env("PROPERTY_SEED"));
const PATH = env("PROPERTY_PATH");

const HOUR = 60 * 60 * 1000;
const WELL_FORMED = /^(?:[^\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

/** Ids that have broken key handling elsewhere, and random unicode. */
const idArb = fc.oneof(
  fc.constantFrom("a:b", "*", "?", "[x]", "{tag}", "line\nbreak", "🔑", "42", "null", " "),
  fc.string({ unit: "binary", minLength: 1, maxLength: 12 }).filter((s) => WELL_FORMED.test(s)),
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 6 }),
);
const userArb = fc.constantFrom("alice", "b:o:b", "{carol}", "dü\nve");

type Step =
  | { op: "set"; id: string; user: string; extra: number }
  | { op: "get"; id: string }
  | { op: "list"; user: string }
  | { op: "delete"; ids: string[] }
  | { op: "deleteUser"; user: string };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("set" as const),
      id: idArb,
      user: userArb,
      extra: fc.integer({ min: 0, max: 3 }),
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
);

let clock = Date.now();

/** Runs one step on the adapter and on the model, and compares. */
async function step(
  adapter: RedisSessionAdapter,
  model: Map<string, SessionSchema>,
  s: Step,
): Promise<void> {
  switch (s.op) {
    case "set": {
      clock += 1; // Distinct idle expiries: a stable order to compare.
      const session: SessionSchema = {
        id: s.id,
        user_id: s.user,
        active_expires: clock + HOUR,
        idle_expires: clock + 2 * HOUR,
        ...(s.extra > 0 ? { device: "x".repeat(s.extra) } : {}),
      };
      const existing = model.get(s.id);
      if (existing === undefined) {
        await adapter.setSession(session);
        model.set(s.id, session);
      } else {
        await assert.rejects(
          adapter.setSession(session),
          (e: unknown) => e instanceof LuciaError && e.message === "AUTH_DUPLICATE_SESSION_ID",
        );
        // A retry of the very write that stored the session succeeds.
        await adapter.setSession(existing);
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
      await adapter.deleteSession(...s.ids);
      for (const id of s.ids) model.delete(id);
      return;
    case "deleteUser":
      await adapter.deleteSessionsByUserId(s.user);
      for (const [id, m] of model) if (m.user_id === s.user) model.delete(id);
      assert.deepEqual(await adapter.getSessionsByUserId(s.user), []);
      return;
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
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { maxLength: 25 }), async (steps) => {
          const ns = freshNamespaces();
          const adapter = redis(client as Parameters<typeof redis>[0], {
            namespaces: { session: ns.session, userSession: ns.userSession },
            evictionWarning: false,
          })(LuciaError);
          const model = new Map<string, SessionSchema>();
          for (const s of steps) {
            await step(adapter, model, s);
            const live = await checkInvariants(ctx.admin, ns);
            assert.deepEqual([...live.keys()].sort(), [...model.keys()].sort());
          }
          for (const user of new Set([...model.values()].map((m) => m.user_id))) {
            await adapter.deleteSessionsByUserId(user);
          }
          assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
        }),
        { numRuns: RUNS, seed: SEED, path: PATH },
      );
    });
  });
}
