/**
 * Which clients `redis()` accepts, recognised by their shape alone: every supported client is
 * taken as it is, cluster clients and anything else are refused with a TypeError that says why,
 * and nothing connects or is sent while deciding. No Redis server is needed: every client here
 * points at a port where nothing listens, and none is ever connected.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient as createClient4, createCluster as createCluster4 } from "redis4";
import {
  createClient as createClient5,
  createCluster as createCluster5,
  createSentinel,
} from "redis5";
import {
  createClient as createClient6,
  createClientPool,
  createCluster as createCluster6,
} from "redis6";
import { Cluster as Cluster5, Redis as IoRedis5 } from "ioredis5";
import { Cluster as Cluster6, Redis as IoRedis6 } from "ioredis6";
import { Redis as Upstash } from "@upstash/redis";
import redis from "../mod.ts";

const NOWHERE = "redis://127.0.0.1:1";

type Client = Parameters<typeof redis>[0];

function refuses(client: unknown, message: RegExp): void {
  assert.throws(
    () => redis(client as Client),
    (error: unknown) => {
      assert.ok(error instanceof TypeError, `expected a TypeError, got ${String(error)}`);
      assert.match(error.message, message);
      return true;
    },
  );
}

/** Every supported client, named in the message that refuses anything else. */
const LISTS_THE_SUPPORTED_CLIENTS =
  /node-redis client .*`redis` 4, 5 or 6.*node-redis cluster.*ioredis client .*`ioredis` 5 or 6.*ioredis `Cluster`.*Bun's built-in `RedisClient`.*Bun >= 1\.2\.9.*Upstash client .*`@upstash\/redis`/;

describe("Choosing the connection by the client's shape", () => {
  it("node-redis 4, 5 and 6 clients are accepted without connecting", () => {
    for (const client of [createClient4({ url: NOWHERE }), createClient5({ url: NOWHERE })]) {
      redis(client);
      assert.equal(client.isOpen, false);
    }
    const v6 = createClient6({ url: NOWHERE });
    redis(v6);
    assert.equal(v6.isOpen, false);
  });

  it("ioredis 5 and 6 clients are accepted without connecting (lazyConnect)", () => {
    for (
      const client of [
        new IoRedis5(NOWHERE, { lazyConnect: true }),
        new IoRedis6(NOWHERE, { lazyConnect: true }),
      ]
    ) {
      redis(client);
      assert.equal(client.status, "wait");
      client.disconnect();
    }
  });

  it("an Upstash client is accepted without any request being made", () => {
    let requests = 0;
    const client = new Upstash({
      url: "http://127.0.0.1:1",
      token: "t",
      enableTelemetry: false,
    });
    (client as unknown as { client: { request: unknown } }).client.request = () => {
      requests++;
      return Promise.resolve({ result: null });
    };
    redis(client);
    assert.equal(requests, 0);
  });

  it("Bun's RedisClient is accepted without connecting, on Bun", {
    skip: "Bun" in globalThis ? false : "Bun's RedisClient exists only on Bun",
  }, () => {
    type BunClient = { connected: boolean; close(): void };
    const Bun = (globalThis as unknown as {
      Bun: { RedisClient: new (url: string, options?: object) => BunClient };
    }).Bun;
    const client = new Bun.RedisClient(NOWHERE, { autoReconnect: false });
    redis(client as unknown as Client);
    assert.equal(client.connected, false);
    client.close();
  });
});

describe("Cluster clients", () => {
  it("a node-redis 4, 5 or 6 createCluster() is accepted without connecting", () => {
    const rootNodes = [{ url: NOWHERE }];
    for (
      const cluster of [
        createCluster4({ rootNodes }),
        createCluster5({ rootNodes }),
        createCluster6({ rootNodes }),
      ]
    ) {
      assert.equal(typeof redis(cluster), "function");
      assert.equal(cluster.isOpen, false);
    }
  });

  it("an ioredis 5 or 6 Cluster is accepted without connecting", () => {
    for (const Cluster of [Cluster5, Cluster6]) {
      const cluster = new Cluster([{ host: "127.0.0.1", port: 1 }], { lazyConnect: true });
      assert.equal(typeof redis(cluster), "function");
      assert.equal(cluster.status, "wait");
      cluster.disconnect();
    }
  });
});

describe("Anything else", () => {
  it("is refused with a TypeError that names what it got and lists the supported clients", () => {
    const cases: [unknown, string][] = [
      [undefined, "undefined"],
      [null, "null"],
      ["redis://localhost:6379", "string"],
      [6379, "number"],
      [{}, "an object"],
      [() => {}, "a function"],
      [new Map(), "an instance of Map"],
      // Look-alikes: one member of a supported client is not enough.
      [{ sendCommand: () => Promise.resolve(null) }, "an object"],
      [{ call: () => Promise.resolve(null) }, "an object"],
      [{ send: () => Promise.resolve(null) }, "an object"],
      [{ client: { request: () => Promise.resolve({}) } }, "an object"],
    ];
    for (const [value, got] of cases) {
      refuses(value, new RegExp(`not a supported Redis client \\(got ${got}\\)`));
      refuses(value, LISTS_THE_SUPPORTED_CLIENTS);
    }
  });

  it("a node-redis sentinel or client pool is refused rather than misused", () => {
    const sentinel = createSentinel({
      name: "mymaster",
      sentinelRootNodes: [{ host: "127.0.0.1", port: 1 }],
    });
    refuses(sentinel, /not a supported Redis client/);
    const pool = createClientPool({ url: NOWHERE });
    refuses(pool, /not a supported Redis client/);
    assert.equal(pool.isOpen, false);
  });
});
