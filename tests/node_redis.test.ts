/**
 * The contract suite and the connection checks over node-redis 4 and 5 (`createClient()` from
 * npm `redis`), and what a closed client does. (node-redis 6: node_redis6.test.ts; other ways
 * of setting node-redis up: node_redis_variants.test.ts.)
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient as createClient4 } from "redis4";
import redis from "../mod.ts";
import { clientSuites } from "./helpers/client_suites.ts";
import { useRedis } from "./helpers/harness.ts";
import { setupsIn } from "./helpers/setups.ts";

clientSuites(setupsIn("node-redis"));

describe("node-redis connection errors", () => {
  const ctx = useRedis();
  it("a closed client's error reaches the caller, named by the operation", async () => {
    const client = createClient4({ url: ctx.server.url });
    await client.connect();
    const adapter = redis(client)();
    await client.quit();
    await assert.rejects(adapter.getSession("x"), /closed/i);
    await assert.rejects(adapter.getSessionsByUserId("x"), /closed/i);
  });
});
