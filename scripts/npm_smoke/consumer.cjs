// @ts-check
/**
 * Loads the npm package and its `/v2` entry with `require()` (their CommonJS builds) and runs
 * round_trips.cjs's checks. Copied like consumer.ts; scripts/build_npm.ts runs it with Node.
 *
 * @module
 */
"use strict";
const assert = require("node:assert/strict");
const pkg = require("../../mod.ts");
const v2 = require("../../v2.ts");
const { LuciaError } = require("lucia-auth");
const { createClient } = require("redis4");
const { Redis } = require("ioredis5");
const { roundTrips } = require("./round_trips.cjs");

const resolved = require.resolve("../../mod.ts");
assert.match(resolved, /\/cjs\/mod\.cjs$/, "require resolves to the CommonJS build");
const resolvedV2 = require.resolve("../../v2.ts");
assert.match(resolvedV2, /\/cjs\/v2\.cjs$/, "require of /v2 resolves to its CommonJS build");
roundTrips({
  how: "require",
  resolved,
  redis: pkg.default,
  named: pkg.redis,
  InvalidSessionDataError: pkg.InvalidSessionDataError,
  LuciaError,
  createClient,
  Redis,
  v2: {
    resolved: resolvedV2,
    redis: v2.default,
    named: v2.redis,
    DuplicateSessionIdError: v2.DuplicateSessionIdError,
    InvalidSessionDataError: v2.InvalidSessionDataError,
  },
}).catch((error) => {
  console.error(error);
  process.exit(1);
});
