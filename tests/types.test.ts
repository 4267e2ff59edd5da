/**
 * The module's own session types against lucia-auth 1.x's: the public signatures use types
 * defined here (JSR rejects lucia-auth's `.d.ts` in them), so this file proves, when `deno test`
 * or `deno check` type-checks it, that they are interchangeable with Lucia's where Lucia meets
 * them. The checks are also run, so a test runner that does not type-check still exercises them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import lucia, {
  type AdapterFunction,
  LuciaError,
  type LuciaErrorConstructor as LuciaLuciaErrorConstructor,
  type SessionAdapter,
  type SessionSchema as LuciaSessionSchema,
} from "lucia-auth";
import redis, {
  type LuciaErrorConstructor,
  type RedisSessionAdapter,
  type RedisSessionAdapterFunction,
  type SessionSchema,
  type StoredSession,
} from "../mod.ts";
import { createClient } from "redis4";
import { useRedis } from "./helpers/harness.ts";
import { memoryUserAdapter } from "./helpers/memory_user_adapter.ts";

/** Compiles only when `A` is assignable to `B`; `true` at runtime. */
function assignable<A, B>(..._witness: A extends B ? [] : [never]): true {
  return true;
}

/** Compiles only when `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true
  : false;
function same<A, B>(..._witness: Equal<A, B> extends true ? [] : [never]): true {
  return true;
}

/** The named keys of `T`, without its index signature. */
type KnownKeys<T> = keyof {
  [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K];
};

/** Parameters of a method, read off the adapter type, checked contravariantly (not bivariantly). */
type Param<F> = F extends (...args: infer P) => unknown ? P : never;
type Result<F> = F extends (...args: never[]) => infer R ? R : never;

describe("types: compatibility with lucia-auth 1.x", () => {
  const ctx = useRedis();
  it("redis() returns an AdapterFunction<SessionAdapter> Lucia accepts", async () => {
    const client = createClient({ url: ctx.server.url });
    await client.connect();
    ctx.cleanups.push(async () => void await client.quit());
    // The adapter function as Lucia types it; assignment is the type-level check.
    const session: AdapterFunction<SessionAdapter> = redis(client);
    assert.ok(assignable<RedisSessionAdapterFunction, AdapterFunction<SessionAdapter>>());

    // What Lucia does with it: call it with its LuciaError and use the five operations.
    const adapter: SessionAdapter = session(LuciaError);
    for (
      const method of [
        "getSession",
        "getSessionsByUserId",
        "setSession",
        "deleteSession",
        "deleteSessionsByUserId",
      ] as const
    ) {
      assert.equal(typeof adapter[method], "function", method);
    }
    assert.equal(await adapter.getSession(`types-test-${crypto.randomUUID()}`), null);

    // And lucia() itself takes it as `adapter.session`.
    const auth = lucia({ adapter: { user: memoryUserAdapter(), session }, env: "DEV" });
    assert.equal(typeof auth.createSession, "function");
  });

  it("Lucia's LuciaError fits the error constructor the adapter function takes", () => {
    const ctor: LuciaErrorConstructor = LuciaError;
    assert.ok(assignable<LuciaLuciaErrorConstructor, LuciaErrorConstructor>());
    assert.ok(assignable<typeof LuciaError, LuciaErrorConstructor>());
    const error = new ctor("AUTH_DUPLICATE_SESSION_ID");
    assert.ok(error instanceof LuciaError);
    assert.equal(error.message, "AUTH_DUPLICATE_SESSION_ID");
  });

  it("session types: Lucia's sessions are accepted, the adapter's are Lucia's", () => {
    // setSession takes what Lucia passes (checked as a plain parameter, not bivariantly).
    assert.ok(assignable<LuciaSessionSchema, SessionSchema>());
    assert.ok(assignable<LuciaSessionSchema, Param<RedisSessionAdapter["setSession"]>[0]>());
    // What the adapter returns is a session to Lucia.
    assert.ok(assignable<StoredSession, LuciaSessionSchema>());
    assert.ok(
      assignable<Result<RedisSessionAdapter["getSession"]>, Promise<LuciaSessionSchema | null>>(),
    );
    assert.ok(
      assignable<
        Result<RedisSessionAdapter["getSessionsByUserId"]>,
        Promise<LuciaSessionSchema[]>
      >(),
    );
    // deleteSession takes Lucia's single id (and also several).
    assert.ok(assignable<[string], Param<RedisSessionAdapter["deleteSession"]>>());
    assert.ok(assignable<[string, string], Param<RedisSessionAdapter["deleteSession"]>>());
    // Lucia's session fields are exactly the adapter's named ones.
    assert.ok(same<KnownKeys<SessionSchema>, keyof LuciaSessionSchema>());
    assert.ok(same<KnownKeys<StoredSession>, keyof LuciaSessionSchema>());
    // The checks can fail: a session with a numeric id is not a session.
    // @ts-expect-error: `id` must be a string
    assert.ok(assignable<{ id: number; user_id: string }, SessionSchema>());

    // At runtime: a session shaped as Lucia makes it goes through the adapter's type.
    const fromLucia: LuciaSessionSchema = {
      id: "s",
      user_id: "u",
      active_expires: 1n,
      idle_expires: Date.now() + 1000,
    };
    const accepted: SessionSchema = fromLucia;
    assert.equal(accepted.id, "s");
  });
});
