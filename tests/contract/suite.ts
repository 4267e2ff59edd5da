/**
 * The contract suite: every behaviour the adapter promises, run against a real Redis through
 * whichever client a test file opens. Each client's test file calls {@linkcode contractSuite},
 * which composes the groups in tests/contract/; tests/contract/cluster_suite.ts runs the same
 * groups on a Redis Cluster.
 *
 * @module
 */
import { before, describe } from "node:test";
import { LuciaError } from "lucia-auth";
import redis from "../../mod.ts";
import { type RedisServer, useRedis } from "../helpers/harness.ts";
import { badInput } from "./bad_input.ts";
import { deletingSessions } from "./deleting.ts";
import { duplicateIds } from "./duplicates.ts";
import { adapterNamespaces, type ContractContext, type Fixture, freshKeyspace } from "./fixture.ts";
import { idsAreData } from "./ids.ts";
import { legacyData } from "./legacy_data.ts";
import { withLuciaAuth } from "./lucia_auth.ts";
import { storingAndReading } from "./storing.ts";
import { userIndex } from "./user_index.ts";

/** An opened client and how to close it. */
export interface OpenedClient {
  client: unknown;
  close(): Promise<void>;
  /** The prefix the client itself puts before every key (ioredis's `keyPrefix`), if any. */
  keyPrefix?: string;
}

/** Defines every group of the contract suite over the context's client. */
export function contractGroups(ctx: ContractContext): void {
  const fixture = (): Fixture => {
    // Keys land under the client's keyPrefix, if it has one: `ns` names them as Redis does.
    const ns = freshKeyspace(ctx.keyPrefix);
    const adapterFunction = redis(
      ctx.client as Parameters<typeof redis>[0],
      { namespaces: adapterNamespaces(ns, ctx.keyPrefix) },
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
}

/** Defines the contract suite for one client. `open` connects a client to the given server. */
export function contractSuite(
  clientName: string,
  open: (server: RedisServer) => Promise<OpenedClient>,
): void {
  describe(`The Redis session adapter over ${clientName}`, () => {
    const redisCtx = useRedis();
    const ctx = { cluster: false } as ContractContext;
    before(async () => {
      ctx.admin = redisCtx.admin;
      ctx.monitor = [redisCtx.server];
      const opened = await open(redisCtx.server);
      ctx.client = opened.client;
      ctx.keyPrefix = opened.keyPrefix;
      redisCtx.cleanups.push(() => opened.close());
    });
    contractGroups(ctx);
  });
}
