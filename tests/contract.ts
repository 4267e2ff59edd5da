/**
 * The contract suite: every behaviour the adapter promises, run against a real Redis through
 * whichever client a test file opens. Each client's test file calls {@linkcode contractSuite},
 * which composes the groups in tests/contract/.
 *
 * @module
 */
import { before, describe } from "node:test";
import { LuciaError } from "lucia-auth";
import redis from "../mod.ts";
import { type RedisCluster, type TestCluster, useRedisCluster } from "./cluster_harness.ts";
import { freshNamespaces, type RedisServer, useRedis } from "./harness.ts";
import { badInput } from "./contract/bad_input.ts";
import { deletingSessions } from "./contract/deleting.ts";
import { duplicateIds } from "./contract/duplicates.ts";
import type { ContractContext, Fixture } from "./contract/fixture.ts";
import { idsAreData } from "./contract/ids.ts";
import { legacyData } from "./contract/legacy_data.ts";
import { withLuciaAuth } from "./contract/lucia_auth.ts";
import { storingAndReading } from "./contract/storing.ts";
import { userIndex } from "./contract/user_index.ts";

/** An opened client and how to close it. */
export interface OpenedClient {
  client: unknown;
  close(): Promise<void>;
}

/**
 * Defines the contract suite for one client. `open` connects a client to the given server; with
 * `cluster`, to a Redis Cluster the suite starts (tests/cluster_harness.ts).
 */
export function contractSuite(
  clientName: string,
  open: (server: RedisServer) => Promise<OpenedClient>,
): void;
export function contractSuite(
  clientName: string,
  open: (cluster: RedisCluster) => Promise<OpenedClient>,
  where: "cluster",
  prepare?: (client: unknown, cluster: TestCluster) => Promise<void>,
): void;
export function contractSuite(
  clientName: string,
  open: (target: never) => Promise<OpenedClient>,
  where: "server" | "cluster" = "server",
  prepare?: (client: unknown, cluster: TestCluster) => Promise<void>,
): void {
  describe(`The Redis session adapter over ${clientName}`, () => {
    const cluster = where === "cluster";
    const redisCtx = cluster ? useRedisCluster() : useRedis();
    const ctx = { cluster } as ContractContext;
    before(async () => {
      const target = "cluster" in redisCtx ? redisCtx.cluster : redisCtx.server;
      ctx.admin = redisCtx.admin;
      ctx.monitor = "cluster" in redisCtx ? redisCtx.primaries : [redisCtx.server];
      const opened = await open(target as never);
      ctx.client = opened.client;
      redisCtx.cleanups.push(() => opened.close());
      if (prepare && "cluster" in redisCtx) {
        // What the client lives through before the suite runs (a failover, say).
        await prepare(opened.client, redisCtx);
        ctx.admin = redisCtx.admin;
        ctx.monitor = redisCtx.primaries;
      }
    }, { timeout: 120_000 });

    const fixture = (): Fixture => {
      const ns = freshNamespaces();
      const adapterFunction = redis(
        ctx.client as Parameters<typeof redis>[0],
        { namespaces: { session: ns.session, userSession: ns.userSession } },
      );
      return {
        adapter: adapterFunction(LuciaError),
        adapterFunction,
        ns,
        sessionKey: (id) => `${ns.session}:${id}`,
        indexKey: (userId) => `${ns.userSession}:${userId}`,
      };
    };

    storingAndReading(ctx, fixture);
    duplicateIds(ctx, fixture);
    userIndex(ctx, fixture);
    deletingSessions(ctx, fixture);
    idsAreData(ctx, fixture);
    badInput(ctx, fixture);
    legacyData(ctx, fixture);
    withLuciaAuth(ctx, fixture);
  });
}
