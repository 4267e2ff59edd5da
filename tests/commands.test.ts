/**
 * The command builders of src/clients/commands.ts: each command's words and the positions of its keys,
 * checked against what Redis itself calls the command's keys (`COMMAND GETKEYS`), and against
 * the arguments ioredis puts its `keyPrefix` before (the ioredis connection takes the prefix off
 * exactly the positions a command declares, and ioredis puts it back by its own table).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as commands from "../src/clients/commands.ts";
import type { Command } from "../src/clients/connection.ts";
import { freshNamespaces, useRedis } from "./helpers/harness.ts";

// Keys of a fresh namespace: the tests below also run the commands on Redis.
const ns = freshNamespaces();
const A = `${ns.session}:a`, B = `${ns.session}:b`, U = `${ns.userSession}:1`;
const PATTERN = `${ns.session}:*`;

const NO_WRITES = "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])";

/** Each builder, what it built, and the words and key positions expected. */
const BUILT: [string, Command, { args: string[]; keys: number[] }][] = [
  ["get", commands.get(A), { args: ["GET", A], keys: [1] }],
  [
    "set",
    commands.set(A, "{}", "PXAT", "1700000000000", "NX"),
    { args: ["SET", A, "{}", "PXAT", "1700000000000", "NX"], keys: [1] },
  ],
  ["type", commands.type(U), { args: ["TYPE", U], keys: [1] }],
  ["pttl", commands.pttl(A), { args: ["PTTL", A], keys: [1] }],
  ["pexpiretime", commands.pexpiretime(A), { args: ["PEXPIRETIME", A], keys: [1] }],
  ["llen", commands.llen(U), { args: ["LLEN", U], keys: [1] }],
  ["scard", commands.scard(U), { args: ["SCARD", U], keys: [1] }],
  ["lrange", commands.lrange(U, "0", "-1"), { args: ["LRANGE", U, "0", "-1"], keys: [1] }],
  ["smembers", commands.smembers(U), { args: ["SMEMBERS", U], keys: [1] }],
  ["zrange", commands.zrange(U, "0", "-1"), { args: ["ZRANGE", U, "0", "-1"], keys: [1] }],
  ["mget", commands.mget([A, B]), { args: ["MGET", A, B], keys: [1, 2] }],
  [
    "zrange with WITHSCORES",
    commands.zrange(U, "0", "-1", "WITHSCORES"),
    { args: ["ZRANGE", U, "0", "-1", "WITHSCORES"], keys: [1] },
  ],
  [
    "sortRo",
    commands.sortRo(U, ["#", PATTERN]),
    { args: ["SORT_RO", U, "BY", "nosort", "GET", "#", "GET", PATTERN], keys: [1, 7] },
  ],
  [
    "sortRo with the patterns the other way round",
    commands.sortRo(U, [PATTERN, "#"]),
    { args: ["SORT_RO", U, "BY", "nosort", "GET", PATTERN, "GET", "#"], keys: [1, 5] },
  ],
  ["time", commands.time(), { args: ["TIME"], keys: [] }],
  ["info", commands.info("memory"), { args: ["INFO", "memory"], keys: [] }],
  ["wait", commands.wait(0, 1, A), { args: ["WAIT", "0", "1"], keys: [] }],
  [
    "eval",
    commands.eval("return 1", [A, U], ["x", B]),
    { args: ["EVAL", "return 1", "2", A, U, "x", B], keys: [3, 4] },
  ],
  [
    "eval with no keys",
    commands.eval("return 1", [], [A]),
    { args: ["EVAL", "return 1", "0", A], keys: [] },
  ],
  [
    "evalsha",
    commands.evalsha("f".repeat(40), [A], ["1"]),
    { args: ["EVALSHA", "f".repeat(40), "1", A, "1"], keys: [3] },
  ],
  [
    "evalRo",
    commands.evalRo(NO_WRITES, [A], []),
    { args: ["EVAL_RO", NO_WRITES, "1", A], keys: [3] },
  ],
  [
    "evalshaRo",
    commands.evalshaRo("f".repeat(40), [A, B], []),
    { args: ["EVALSHA_RO", "f".repeat(40), "2", A, B], keys: [3, 4] },
  ],
];

/** The words at a command's key positions. */
const keysOf = (command: Command) => command.keys.map((i) => command.args[i]);

describe("The command builders", () => {
  const ctx = useRedis();

  it("each builds the command's words, and the positions of its keys, first key first", () => {
    for (const [name, built, expected] of BUILT) {
      assert.deepEqual({ args: built.args, keys: [...built.keys] }, expected, name);
    }
  });

  it("WAIT carries the key written as its route only: neither sent nor a key position", () => {
    const wait = commands.wait(1, 500, A);
    assert.equal(wait.route, A);
    assert.ok(!wait.args.includes(A));
    for (const [name, built] of BUILT) {
      if (name !== "wait") assert.equal(built.route, undefined, name);
    }
  });

  it("the keys are those Redis names for the command (COMMAND GETKEYS), but SORT_RO's GET patterns", async () => {
    for (const [name, built] of BUILT) {
      const named = await ctx.admin.sendCommand(["COMMAND", "GETKEYS", ...built.args]).then(
        (reply) => reply as string[],
        (error: Error) => error.message,
      );
      if (built.keys.length === 0) {
        // None (a script given no keys), "The command has no key arguments", or a refusal of
        // COMMAND GETKEYS for a command without arguments (TIME).
        assert.ok(typeof named === "string" || named.length === 0, `${name}: ${named}`);
        continue;
      }
      // Redis does not count SORT's GET patterns as keys; ioredis prefixes them (below).
      const ours = built.args[0] === "SORT_RO" ? keysOf(built).slice(0, 1) : keysOf(built);
      assert.deepEqual(named, ours, name);
    }
  });

  it("every command the builders make runs on Redis (7.0 and later)", async () => {
    await ctx.admin.sendCommand(["SET", A, "{}"]);
    try {
      for (const [name, built] of BUILT) {
        // The one write, SET … NX, finds the key there and changes nothing.
        const reply = await ctx.admin.sendCommand(built.args).then(
          () => "ok",
          (error: Error) => error.message,
        );
        const unknownSha = /^EVALSHA/.test(built.args[0]);
        if (unknownSha) assert.match(reply, /NOSCRIPT/, name);
        else assert.equal(reply, "ok", name);
      }
      assert.equal(await ctx.admin.sendCommand(["GET", A]), "{}");
    } finally {
      await ctx.admin.sendCommand(["DEL", A]);
    }
  });

  for (const pkg of ["ioredis5", "ioredis6"]) {
    it(`${pkg} puts its keyPrefix before exactly these keys (and before SORT_RO's "nosort", which stays no sort)`, () => {
      const require = createRequire(import.meta.url);
      const table = createRequire(require.resolve(pkg))("@ioredis/commands") as {
        getKeyIndexes(name: string, args: string[]): number[];
      };
      for (const [name, built] of BUILT) {
        const [command, ...args] = built.args;
        const prefixed = table.getKeyIndexes(command.toLowerCase(), args).map((i) => i + 1);
        const extra = prefixed.filter((i) => !built.keys.includes(i));
        // ioredis takes BY's pattern for a key: "app:nosort" has no `*` either, so Redis does not
        // sort, as with "nosort". Any other difference would send a key outside the prefix.
        assert.deepEqual(
          extra.map((i) => `${built.args[i - 1]} ${built.args[i]}`),
          command === "SORT_RO" ? ["BY nosort"] : [],
          name,
        );
        assert.deepEqual(prefixed.filter((i) => built.keys.includes(i)), [...built.keys], name);
      }
    });
  }
});
