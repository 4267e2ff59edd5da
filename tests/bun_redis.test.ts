/**
 * The contract suite and the connection checks over Bun's built-in `RedisClient`
 * (`import { RedisClient } from "bun"`, Bun >= 1.2.9): no npm Redis client involved. On any
 * other runtime the suite is reported as skipped.
 */
import { describe, it } from "node:test";
import { contractSuite } from "./contract.ts";
import { clientChecks } from "./client_checks.ts";
import type { RedisServer } from "./harness.ts";

/** What these tests use of Bun's RedisClient (Bun's types are not installed). */
interface BunRedisClient {
  connect(): Promise<void>;
  close(): void;
}
type BunRedisClientConstructor = new (url: string) => BunRedisClient;

const RedisClient = (globalThis as { Bun?: { RedisClient?: BunRedisClientConstructor } }).Bun
  ?.RedisClient;

if (RedisClient === undefined) {
  const reason = "Bun's RedisClient exists only on Bun: run this file with `bun test`";
  describe(`The Redis session adapter over Bun's RedisClient (skipped: ${reason})`, {
    skip: reason,
  }, () => {
    it("runs on Bun only", () => {});
  });
} else {
  const open = async (server: RedisServer) => {
    const client = new RedisClient(server.url);
    await client.connect();
    return { client, close: () => Promise.resolve(client.close()) };
  };
  const bunVersion = (globalThis as { Bun?: { version?: string } }).Bun?.version;
  contractSuite(`Bun's RedisClient (Bun ${bunVersion})`, open);
  clientChecks(`Bun's RedisClient (Bun ${bunVersion})`, open);
}
