/**
 * The contract suite and the connection checks over node-redis 6 (`createClient()` from npm
 * `redis` 6), which speaks RESP3 by default. (node-redis 4 and 5: tests/node_redis.test.ts.)
 */
import { clientSuites } from "./helpers/client_suites.ts";
import { setupsIn } from "./helpers/setups.ts";

clientSuites(setupsIn("node-redis 6"));
