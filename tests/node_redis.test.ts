/**
 * The contract suite over node-redis 4 and 5 (`createClient()` from npm `redis`).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient as createClient4 } from "redis4";
import { createClient as createClient5 } from "redis5";
import redis from "../mod.ts";
import { contractSuite } from "./contract.ts";
import { useRedis } from "./harness.ts";

contractSuite("node-redis 4", async (server) => {
  const client = createClient4({ url: server.url });
  await client.connect();
  return { client, close: async () => void await client.quit() };
});

contractSuite("node-redis 5", async (server) => {
  const client = createClient5({ url: server.url });
  await client.connect();
  return { client, close: async () => void await client.close() };
});

describe("node-redis connection errors", () => {
  const ctx = useRedis();
  it("a closed client's error propagates from the adapter unchanged", async () => {
    const client = createClient4({ url: ctx.server.url });
    await client.connect();
    const adapter = redis(client)();
    await client.quit();
    await assert.rejects(adapter.getSession("x"), /closed/i);
    await assert.rejects(adapter.getSessionsByUserId("x"), /closed/i);
  });
});
