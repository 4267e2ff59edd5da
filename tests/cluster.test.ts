/**
 * The contract suite over Redis Cluster clients (node-redis 4, 5 and 6 `createCluster()`,
 * ioredis 5 and 6 `Cluster`, and an ioredis 5 `Cluster` with a `keyPrefix`), against a real
 * local cluster of 3 primaries and 3 replicas.
 */
import { CLUSTER_SETUPS } from "./helpers/cluster_harness.ts";
import { clusterContractSuite } from "./contract/cluster_suite.ts";

for (const setup of CLUSTER_SETUPS) clusterContractSuite(setup.name, setup.open);

// Not in CLUSTER_SETUPS: the other files that run those do not look for keys under a keyPrefix.
clusterContractSuite("an ioredis 5 Cluster with keyPrefix", async (cluster) => {
  const keyPrefix = "app:";
  const { Cluster } = await import("ioredis5");
  const client = new Cluster([...cluster.startupNodes], { keyPrefix });
  await new Promise<void>((resolve, reject) => {
    client.once("ready", () => resolve());
    client.once("error", reject);
  });
  return { client, keyPrefix, close: () => Promise.resolve(client.disconnect()) };
});
