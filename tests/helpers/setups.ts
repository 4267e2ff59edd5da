/**
 * Every Redis client setup the suites run over, in one table: its name in test names, how to
 * open it against a server, and where it cannot run. The `*.test.ts` files run the suites over
 * a group of it (see tests/helpers/client_suites.ts); scripts/npm_smoke/contract_node.ts picks two.
 *
 * A setup imports its client package only when it opens, so that a program running a few setups
 * loads only their packages: the npm package's contract run on Node has only `redis` and
 * `ioredis` installed.
 *
 * @module
 */
import type { OpenedClient } from "../contract/suite.ts";
import type { RedisServer } from "./harness.ts";

/** The test files' groups of setups. */
export type SetupGroup =
  | "node-redis"
  | "node-redis 6"
  | "node-redis variants"
  | "ioredis"
  | "Bun"
  | "Upstash";

/** One way of setting a client up. */
export interface ClientSetup {
  /** The client as test names call it, e.g. "node-redis 5 with RESP: 3". */
  name: string;
  /** The test file that runs it: tests/node_redis.test.ts for "node-redis", and so on. */
  group: SetupGroup;
  /** Connects a client to `server`. */
  open(server: RedisServer): Promise<OpenedClient>;
  /** Set where the setup cannot run on this runtime: the runtime it needs, and why. */
  skip?: { runtime: string; reason: string };
}

/** What the ioredis setups use of an ioredis client, whichever major version. */
export interface IoRedis {
  ping(): Promise<unknown>;
  quit(): Promise<unknown>;
  options: { keyPrefix?: string };
}

/** Builds an ioredis client of one major version (it connects by itself). */
export type IoRedisFactory = (url: string, options?: { keyPrefix?: string }) => Promise<IoRedis>;

/** ioredis 5 and 6, by their npm aliases. */
export const IOREDIS: { name: string; create: IoRedisFactory }[] = [
  {
    name: "ioredis 5",
    create: async (url, options = {}) => new (await import("ioredis5")).Redis(url, options),
  },
  {
    name: "ioredis 6",
    create: async (url, options = {}) => new (await import("ioredis6")).Redis(url, options),
  },
];

/** Bun's RedisClient, where there is one (Bun's types are not installed). */
const BunRuntime = (globalThis as {
  Bun?: {
    version?: string;
    RedisClient?: new (url: string) => { connect(): Promise<void>; close(): void };
  };
}).Bun;

/** Options of the Upstash client these tests set. */
type UpstashOptions = { automaticDeserialization?: boolean; responseEncoding?: false };

/**
 * `@upstash/redis` through the test gateway (tests/helpers/upstash_gateway.ts), which speaks
 * Upstash's REST protocol in front of the test's redis-server.
 */
function upstash(name: string, options: UpstashOptions): ClientSetup {
  return {
    name,
    group: "Upstash",
    async open(server) {
      const { startUpstashGateway } = await import("./upstash_gateway.ts");
      const { Redis } = await import("@upstash/redis");
      const gateway = await startUpstashGateway(server.url);
      const client = new Redis({ url: gateway.url, token: gateway.token, ...options });
      return { client, close: () => gateway.close() };
    },
  };
}

/** A node-redis 5 or 6 client that `create` makes: connected, then closed with close(). */
function nodeRedis(
  name: string,
  group: SetupGroup,
  create: (url: string) => Promise<{ connect(): Promise<unknown>; close(): Promise<void> }>,
): ClientSetup {
  return {
    name,
    group,
    async open(server) {
      const client = await create(server.url);
      await client.connect();
      return { client, close: () => client.close() };
    },
  };
}

/** The table. */
export const CLIENT_SETUPS: ClientSetup[] = [
  {
    name: "node-redis 4",
    group: "node-redis",
    async open(server) {
      const client = (await import("redis4")).createClient({ url: server.url });
      await client.connect();
      return { client, close: async () => void await client.quit() };
    },
  },
  nodeRedis(
    "node-redis 5",
    "node-redis",
    async (url) => (await import("redis5")).createClient({ url }),
  ),
  nodeRedis(
    "node-redis 6 (RESP3, its default)",
    "node-redis 6",
    async (url) => (await import("redis6")).createClient({ url }),
  ),
  {
    name: "node-redis 4 with legacyMode: true (the adapter uses client.v4)",
    group: "node-redis variants",
    async open(server) {
      const { createClient } = await import("redis4");
      const client = createClient({ url: server.url, legacyMode: true });
      await client.connect();
      return { client, close: async () => void await client.v4.quit() };
    },
  },
  nodeRedis(
    "node-redis 5 with RESP: 3",
    "node-redis variants",
    async (url) => (await import("redis5")).createClient({ url, RESP: 3 }),
  ),
  nodeRedis(
    "node-redis 6 with RESP: 2",
    "node-redis variants",
    async (url) => (await import("redis6")).createClient({ url, RESP: 2 }),
  ),
  {
    name: "node-redis 6 with bulk strings mapped to Buffers",
    group: "node-redis variants",
    async open(server) {
      const { createClient, RESP_TYPES } = await import("redis6");
      const client = createClient({ url: server.url });
      await client.connect();
      return {
        client: client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }),
        close: () => client.close(),
      };
    },
  },
  ...IOREDIS.map(({ name, create }): ClientSetup => ({
    name,
    group: "ioredis",
    async open(server) {
      const client = await create(server.url);
      await client.ping();
      return { client, close: async () => void await client.quit() };
    },
  })),
  {
    name: "ioredis 5 with keyPrefix",
    group: "ioredis",
    async open(server) {
      const keyPrefix = "app:";
      const ioredis5 = IOREDIS.find(({ name }) => name === "ioredis 5")!;
      const client = await ioredis5.create(server.url, { keyPrefix });
      await client.ping();
      return { client, keyPrefix, close: async () => void await client.quit() };
    },
  },
  {
    name: BunRuntime?.RedisClient
      ? `Bun's RedisClient (Bun ${BunRuntime.version})`
      : "Bun's RedisClient",
    group: "Bun",
    async open(server) {
      const client = new BunRuntime!.RedisClient!(server.url);
      await client.connect();
      return { client, close: () => Promise.resolve(client.close()) };
    },
    skip: BunRuntime?.RedisClient ? undefined : {
      runtime: "Bun",
      reason: "Bun's RedisClient exists only on Bun: run this file with `bun test`",
    },
  },
  upstash("@upstash/redis with its default options", {}),
  upstash("@upstash/redis with automaticDeserialization: false", {
    automaticDeserialization: false,
  }),
  upstash("@upstash/redis with responseEncoding: false", { responseEncoding: false }),
];

/** The setups of one group, in the table's order. */
export function setupsIn(group: SetupGroup): ClientSetup[] {
  return CLIENT_SETUPS.filter((setup) => setup.group === group);
}

/** The setup of that name. */
export function setupNamed(name: string): ClientSetup {
  const setup = CLIENT_SETUPS.find((s) => s.name === name);
  if (!setup) throw new Error(`tests/helpers/setups.ts has no client setup named ${name}`);
  return setup;
}
