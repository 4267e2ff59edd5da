/**
 * The contract suite and the connection checks over Bun's built-in `RedisClient`
 * (`import { RedisClient } from "bun"`, Bun >= 1.2.9): no npm Redis client involved. On any
 * other runtime the suite is reported as skipped.
 */
import { clientSuites } from "./helpers/client_suites.ts";
import { setupsIn } from "./helpers/setups.ts";

clientSuites(setupsIn("Bun"));
