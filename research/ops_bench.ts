/**
 * Microbenchmarks of the client-side work of each operation, without a network or a Redis: the
 * clients are stand-ins that answer at once with what Redis would. They isolate the CPU each
 * subject spends in JavaScript per operation (validation, key building, serialising, parsing),
 * which at high concurrency on one connection competes with the client library itself.
 *
 *   node_modules/.bin/deno bench research/ops_bench.ts
 *
 * Not part of `deno task bench` (whose figures are end to end); run it when profiling.
 *
 * @module
 */
import { redis as redisV2 } from "adapter-session-redis-v2";
import { redis } from "../mod.ts";

const now = Date.now();
const USER = "u".repeat(15);
const session = (i: number) => ({
  id: i.toString(36).padStart(40, "0"),
  user_id: USER,
  active_expires: now + 86_400_000,
  idle_expires: now + 14 * 86_400_000,
});
const json = (i: number) => JSON.stringify(session(i));
const ONE = json(1);
const TEN = Array.from({ length: 10 }, (_, i) => json(i));

/** A stand-in node-redis client: every command answers at once. */
function fakeNodeRedis() {
  const reply = (args: string[]): unknown => {
    switch (args[0]) {
      case "GET":
        return ONE;
      case "EVALSHA":
      case "EVAL": {
        const keys = args.slice(3, 3 + Number(args[2]));
        if (keys[0].startsWith("userSession:")) {
          // getSessionsByUserId: [ids, values].
          return [TEN.map((_, i) => session(i).id), TEN];
        }
        return 1;
      }
      default:
        return "OK";
    }
  };
  return {
    isOpen: true,
    connect: () => Promise.resolve(),
    duplicate: () => fakeNodeRedis(),
    sendCommand: (args: string[]) => Promise.resolve(reply(args)),
    get: (_key: string) => Promise.resolve(ONE),
    set: (..._args: unknown[]) => Promise.resolve("OK"),
    sAdd: (..._args: unknown[]) => Promise.resolve(1),
    sMembers: (_key: string) => Promise.resolve(TEN.map((_, i) => session(i).id)),
    del: (..._args: unknown[]) => Promise.resolve(1),
    sRem: (..._args: unknown[]) => Promise.resolve(1),
  };
}

const client = fakeNodeRedis();
const ours = redis(client)();
// deno-lint-ignore no-explicit-any
const v2 = (redisV2 as any)(client)();
const raw = {
  getSession: async (id: string) => {
    const value = await client.sendCommand(["GET", "session:" + id]);
    return value === null ? null : JSON.parse(value as string);
  },
  setSession: (s: ReturnType<typeof session>) =>
    client.sendCommand([
      "SET",
      "session:" + s.id,
      JSON.stringify(s),
      "PXAT",
      String(s.idle_expires),
    ]),
};
// Warm the script runners (their first call is EVAL; every later one EVALSHA).
await ours.setSession(session(0));
await ours.getSessionsByUserId(USER);
await ours.deleteSession(session(0).id);
await ours.deleteSessionsByUserId(USER);
let n = 0;
const id = session(1).id;

Deno.bench(
  { group: "getSession", name: "raw floor (GET + JSON.parse)", baseline: true },
  async () => {
    await raw.getSession(id);
  },
);
Deno.bench({ group: "getSession", name: "this adapter" }, async () => {
  await ours.getSession(id);
});
Deno.bench({ group: "getSession", name: "adapter 2.1.2" }, async () => {
  await v2.getSession(id);
});

Deno.bench({ group: "setSession", name: "raw floor (SET PXAT)", baseline: true }, async () => {
  await raw.setSession(session(n++));
});
Deno.bench({ group: "setSession", name: "this adapter" }, async () => {
  await ours.setSession(session(n++));
});
Deno.bench({ group: "setSession", name: "adapter 2.1.2" }, async () => {
  await v2.setSession(session(n++));
});

Deno.bench(
  { group: "getSessionsByUserId(10)", name: "adapter 2.1.2", baseline: true },
  async () => {
    await v2.getSessionsByUserId(USER);
  },
);
Deno.bench({ group: "getSessionsByUserId(10)", name: "this adapter" }, async () => {
  await ours.getSessionsByUserId(USER);
});

Deno.bench({ group: "deleteSession", name: "adapter 2.1.2", baseline: true }, async () => {
  await v2.deleteSession(id);
});
Deno.bench({ group: "deleteSession", name: "this adapter" }, async () => {
  await ours.deleteSession(id);
});
