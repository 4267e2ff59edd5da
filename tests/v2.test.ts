/**
 * The Lucia v2 entry (`v2.ts`) over every client setup on a single server, and over every cluster
 * client on a real local cluster: @lucia-auth/adapter-test's suite for Lucia v2 session adapters,
 * then duplicate ids and the atomic updateSession (tests/v2/suite.ts).
 */
import { before, describe } from "node:test";
import { CLIENT_SETUPS } from "./helpers/setups.ts";
import { CLUSTER_SETUPS, useRedisCluster } from "./helpers/cluster_harness.ts";
import { useRedis } from "./helpers/harness.ts";
import { type V2Context, v2Groups } from "./v2/suite.ts";

for (const setup of CLIENT_SETUPS) {
  describe(`The Lucia v2 adapter over ${setup.name}`, { skip: setup.skip?.reason ?? false }, () => {
    const redis = useRedis();
    const ctx = { cluster: false } as V2Context;
    before(async () => {
      ctx.admin = redis.admin;
      const opened = await setup.open(redis.server);
      ctx.client = opened.client;
      ctx.keyPrefix = opened.keyPrefix ?? "";
      redis.cleanups.push(() => opened.close());
    });
    v2Groups(ctx);
  });
}

for (const setup of CLUSTER_SETUPS) {
  describe(`The Lucia v2 adapter over ${setup.name}`, () => {
    const cluster = useRedisCluster();
    const ctx = { cluster: true } as V2Context;
    before(async () => {
      ctx.admin = cluster.admin;
      const opened = await setup.open(cluster.cluster);
      ctx.client = opened.client;
      cluster.cleanups.push(() => opened.close());
    }, { timeout: 60_000 });
    v2Groups(ctx);
  });
}
