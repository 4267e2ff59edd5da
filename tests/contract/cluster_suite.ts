/**
 * The contract suite on a Redis Cluster: the groups of tests/contract/suite.ts over a cluster
 * client, against a real local cluster (tests/helpers/cluster_harness.ts).
 *
 * @module
 */
import { before, describe } from "node:test";
import {
  type RedisCluster,
  type TestCluster,
  useRedisCluster,
} from "../helpers/cluster_harness.ts";
import { contractGroups, type OpenedClient } from "./suite.ts";
import type { ContractContext } from "./fixture.ts";

/**
 * Defines the contract suite for one cluster client. `prepare` is what the client lives through
 * before the suite runs (a failover, say).
 */
export function clusterContractSuite(
  clientName: string,
  open: (cluster: RedisCluster) => Promise<OpenedClient>,
  prepare?: (client: unknown, cluster: TestCluster) => Promise<void>,
): void {
  describe(`The Redis session adapter over ${clientName}`, () => {
    const cluster = useRedisCluster();
    const ctx = { cluster: true } as ContractContext;
    before(async () => {
      const opened = await open(cluster.cluster);
      ctx.client = opened.client;
      ctx.keyPrefix = opened.keyPrefix;
      cluster.cleanups.push(() => opened.close());
      await prepare?.(opened.client, cluster);
      ctx.admin = cluster.admin;
      ctx.monitor = cluster.primaries;
    }, { timeout: 120_000 });
    contractGroups(ctx);
  });
}
