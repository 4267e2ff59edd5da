/**
 * The reply readers of src/clients/reply.ts that the stores and the command line share, fed with
 * what a real Redis answers (a private redis-server): a script's failure reply, `ZRANGE …
 * WITHSCORES`, the `WRONGTYPE` error.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { failureOf, isWrongType, normalizeReply, scored, timeOf } from "../src/clients/reply.ts";
import type { Reply } from "../src/clients/connection.ts";
import { keysFor } from "../src/core/keys.ts";
import { RedisOperationError } from "../src/core/errors.ts";
import { checkReply } from "../src/store/store.ts";
import { freshNamespaces, useRedis } from "./helpers/harness.ts";

const redis = useRedis();
const ns = freshNamespaces();
const keys = keysFor(
  { value: ns.session, name: "sessionNamespace", fallback: "" },
  { value: ns.userSession, name: "userSessionNamespace", fallback: "" },
);

/** What the server answers, as the adapter reads it. */
async function send(args: string[]): Promise<Reply> {
  return normalizeReply(await redis.admin.sendCommand(args));
}

describe("a script's failure reply", () => {
  it("is known by its shape and gives its key and message", async () => {
    const reply = await send([
      "EVAL",
      "return {false, KEYS[1], 'NOPERM no'}",
      "1",
      `${ns.session}:a`,
    ]);
    assert.deepEqual(failureOf(reply), { key: `${ns.session}:a`, message: "NOPERM no" });
  });

  it("is still a failure when its key or message came back as a number", async () => {
    const reply = await send(["EVAL", "return {false, 7, 8}", "0"]);
    assert.deepEqual(failureOf(reply), { key: "7", message: "8" });
    assert.throws(
      () => checkReply("setSession", keys, reply),
      (error) => error instanceof RedisOperationError && /: 8$/.test(error.message),
    );
  });

  it("is not read into any other reply", async () => {
    for (const script of ["return 1", "return {1, 'a', 'b'}", "return {}", "return {false}"]) {
      const reply = await send(["EVAL", script, "0"]);
      assert.equal(failureOf(reply), undefined, script);
      assert.equal(checkReply("setSession", keys, reply), reply);
    }
  });
});

describe("ZRANGE … WITHSCORES", () => {
  it("reads as [member, score] pairs, in order", async () => {
    const index = `${ns.userSession}:1`;
    await send(["ZADD", index, "2", "b", "1", "a"]);
    assert.deepEqual(scored(await send(["ZRANGE", index, "0", "-1", "WITHSCORES"])), [
      ["a", 1],
      ["b", 2],
    ]);
  });

  it("reads RESP3's nested pairs the same as RESP2's flat list", () => {
    assert.deepEqual(scored([["a", 1], ["b", "2"]]), [["a", 1], ["b", 2]]);
    assert.deepEqual(scored(["a", "1", "b", "2"]), [["a", 1], ["b", 2]]);
    assert.deepEqual(scored(null), []);
  });
});

describe("the WRONGTYPE error", () => {
  it("is recognised from what the client threw, and nothing else is", async () => {
    const key = `${ns.session}:string`;
    await send(["SET", key, "x"]);
    const error = await send(["ZRANGE", key, "0", "-1"]).catch((error: unknown) => error);
    assert.equal(isWrongType(error), true);
    assert.equal(isWrongType(new Error("NOPERM no")), false);
    assert.equal(isWrongType("WRONGTYPE"), false);
  });
});

describe("the server's clock", () => {
  it("reads TIME as Unix milliseconds, between the clock before and after", async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const now = timeOf(await send(["TIME"]));
    assert.ok(Number.isInteger(now) && now >= before && now <= Date.now(), String(now));
  });

  it("names a reply that is not one", () => {
    assert.throws(() => timeOf("1"), /Unexpected reply from Redis to TIME: a string of 1/);
  });
});
