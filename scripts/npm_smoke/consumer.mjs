// @ts-check
/**
 * Loads the npm package and its `/v2` entry with `import` (their ESM builds) and runs
 * round_trips.cjs's checks. Copied like consumer.ts; scripts/build_npm.ts runs it with Node.
 *
 * @module
 */
import assert from "node:assert/strict";
import redis, { InvalidSessionDataError, redis as named } from "../../mod.ts";
import redisV2, {
  DuplicateSessionIdError,
  InvalidSessionDataError as InvalidSessionDataErrorV2,
  redis as namedV2,
} from "../../v2.ts";
import { LuciaError } from "lucia-auth";
import { createClient } from "redis4";
import { Redis } from "ioredis5";
import { roundTrips } from "./round_trips.cjs";

const resolved = import.meta.resolve("../../mod.ts");
assert.match(resolved, /\/esm\/mod\.js$/, "import resolves to the ESM build");
const resolvedV2 = import.meta.resolve("../../v2.ts");
assert.match(resolvedV2, /\/esm\/v2\.js$/, "import of /v2 resolves to its ESM build");
await roundTrips({
  how: "import",
  resolved,
  redis,
  named,
  InvalidSessionDataError,
  LuciaError,
  createClient,
  Redis,
  v2: {
    resolved: resolvedV2,
    redis: redisV2,
    named: namedV2,
    DuplicateSessionIdError,
    InvalidSessionDataError: InvalidSessionDataErrorV2,
  },
});
