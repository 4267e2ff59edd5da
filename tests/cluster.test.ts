/**
 * The contract suite over Redis Cluster clients (node-redis 4, 5 and 6 `createCluster()`,
 * ioredis 5 and 6 `Cluster`), against a real local cluster of 3 primaries and 3 replicas.
 */
import { CLUSTER_SETUPS } from "./cluster_harness.ts";
import { clusterContractSuite } from "./cluster_contract.ts";

for (const setup of CLUSTER_SETUPS) clusterContractSuite(setup.name, setup.open);
