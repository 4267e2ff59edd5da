/**
 * The contract suite and the connection checks over node-redis 6 (`createClient()` from npm
 * `redis` 6), which speaks RESP3 by default. (node-redis 4 and 5: tests/node_redis.test.ts.)
 */
import { createClient } from "redis6";
import { contractSuite } from "./contract.ts";
import { clientChecks } from "./client_checks.ts";
import type { RedisServer } from "./harness.ts";

async function open(server: RedisServer) {
  const client = createClient({ url: server.url });
  await client.connect();
  return { client, close: () => client.close() };
}

contractSuite("node-redis 6 (RESP3, its default)", open);
clientChecks("node-redis 6 (RESP3, its default)", open);
