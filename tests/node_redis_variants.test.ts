/**
 * node-redis clients set up in the other ways users set them up: RESP3 on node-redis 5, RESP2
 * on node-redis 6, bulk strings mapped to Buffers, and node-redis 4's `legacyMode`. Each runs
 * the contract suite and the connection checks (reply shapes, errors, NOSCRIPT reload, exact
 * round trips); plain node-redis 4 and 5, whose contract suite is in node_redis.test.ts, run
 * the connection checks here.
 */
import { createClient as createClient4 } from "redis4";
import { createClient as createClient5 } from "redis5";
import { createClient as createClient6, RESP_TYPES } from "redis6";
import { contractSuite, type OpenedClient } from "./contract.ts";
import { clientChecks } from "./client_checks.ts";
import type { RedisServer } from "./harness.ts";

type Open = (server: RedisServer) => Promise<OpenedClient>;

const plain: [string, Open][] = [
  ["node-redis 4", async (server) => {
    const client = createClient4({ url: server.url });
    await client.connect();
    return { client, close: async () => void await client.quit() };
  }],
  ["node-redis 5", async (server) => {
    const client = createClient5({ url: server.url });
    await client.connect();
    return { client, close: () => client.close() };
  }],
];

const variants: [string, Open][] = [
  ["node-redis 4 with legacyMode: true (the adapter uses client.v4)", async (server) => {
    const client = createClient4({ url: server.url, legacyMode: true });
    await client.connect();
    return { client, close: async () => void await client.v4.quit() };
  }],
  ["node-redis 5 with RESP: 3", async (server) => {
    const client = createClient5({ url: server.url, RESP: 3 });
    await client.connect();
    return { client, close: () => client.close() };
  }],
  ["node-redis 6 with RESP: 2", async (server) => {
    const client = createClient6({ url: server.url, RESP: 2 });
    await client.connect();
    return { client, close: () => client.close() };
  }],
  ["node-redis 6 with bulk strings mapped to Buffers", async (server) => {
    const client = createClient6({ url: server.url });
    await client.connect();
    return {
      client: client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }),
      close: () => client.close(),
    };
  }],
];

for (const [name, open] of plain) clientChecks(name, open);
for (const [name, open] of variants) {
  contractSuite(name, open);
  clientChecks(name, open);
}
