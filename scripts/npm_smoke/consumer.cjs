// @ts-check
/**
 * Loads the npm package with `require()` (its CommonJS build) and runs round_trips.cjs's checks.
 * Copied like consumer.ts; scripts/build_npm.ts runs it with Node.
 *
 * @module
 */
"use strict";
const assert = require("node:assert/strict");
const pkg = require("../../mod.ts");
const { LuciaError } = require("lucia-auth");
const { createClient } = require("redis4");
const { Redis } = require("ioredis5");
const { roundTrips } = require("./round_trips.cjs");

const resolved = require.resolve("../../mod.ts");
assert.match(resolved, /\/cjs\/mod\.cjs$/, "require resolves to the CommonJS build");
roundTrips({
  how: "require",
  resolved,
  redis: pkg.default,
  named: pkg.redis,
  InvalidSessionDataError: pkg.InvalidSessionDataError,
  LuciaError,
  createClient,
  Redis,
}).catch((error) => {
  console.error(error);
  process.exit(1);
});
