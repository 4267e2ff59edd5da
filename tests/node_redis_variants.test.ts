/**
 * node-redis clients set up in the other ways users set them up: RESP3 on node-redis 5, RESP2
 * on node-redis 6, bulk strings mapped to Buffers, and node-redis 4's `legacyMode`. Each runs
 * the contract suite and the connection checks (reply shapes, errors, NOSCRIPT reload, exact
 * round trips).
 */
import { clientSuites } from "./helpers/client_suites.ts";
import { setupsIn } from "./helpers/setups.ts";

clientSuites(setupsIn("node-redis variants"));
