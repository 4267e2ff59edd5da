// @ts-check
/**
 * Loads the npm package with `import` (its ESM build) and runs round_trips.cjs's checks. Copied
 * like consumer.ts; scripts/build_npm.ts runs it with Node.
 *
 * @module
 */
import assert from "node:assert/strict";
import redis, { InvalidSessionDataError, redis as named } from "../../mod.ts";
import { LuciaError } from "lucia-auth";
import { createClient } from "redis4";
import { Redis } from "ioredis5";
import { roundTrips } from "./round_trips.cjs";

const resolved = import.meta.resolve("../../mod.ts");
assert.match(resolved, /\/esm\/mod\.js$/, "import resolves to the ESM build");
await roundTrips({
  how: "import",
  resolved,
  redis,
  named,
  InvalidSessionDataError,
  LuciaError,
  createClient,
  Redis,
});
