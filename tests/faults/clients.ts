/**
 * The clients the fault suites run against: node-redis 5, ioredis 5, and Bun's RedisClient on
 * Bun. Each is opened against a given URL with the options the README recommends for failing
 * fast, or with its defaults.
 *
 * @module
 */
import { createClient } from "redis5";
import { Redis } from "ioredis5";

/** An opened client: what to hand to `redis()`, and how to close it. */
export interface FaultClient {
  client: unknown;
  close(): Promise<void>;
}

/** A client the fault suites run against. */
export interface FaultClientKind {
  name: string;
  /** Why it is skipped on this runtime, if it is. */
  skip?: string;
  open(url: string): Promise<FaultClient>;
}

type BunRedis = new (url: string, options?: object) => {
  connect(): Promise<void>;
  close(): void;
};
const BunRedisClient = (globalThis as { Bun?: { RedisClient?: BunRedis } }).Bun?.RedisClient;

/** node-redis 5, ioredis 5 and Bun's RedisClient (skipped off Bun). */
export const FAULT_CLIENTS: FaultClientKind[] = [
  {
    name: "node-redis 5",
    open: async (url) => {
      const client = createClient({ url });
      client.on("error", () => {}); // Reconnection errors are expected in these tests.
      await client.connect();
      return { client, close: () => Promise.resolve(client.destroy()) };
    },
  },
  {
    name: "ioredis 5",
    open: async (url) => {
      const client = new Redis(url);
      client.on("error", () => {});
      await client.ping();
      return { client, close: () => Promise.resolve(client.disconnect()) };
    },
  },
  {
    name: "Bun's RedisClient",
    skip: BunRedisClient === undefined ? "Bun's RedisClient exists only on Bun" : undefined,
    open: async (url) => {
      const client = new BunRedisClient!(url);
      await client.connect();
      return { client, close: () => Promise.resolve(client.close()) };
    },
  },
];
