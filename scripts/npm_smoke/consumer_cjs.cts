/**
 * A CommonJS TypeScript program using the npm package: tsc --strict compiles it with NodeNext,
 * so it resolves the package's "require" types. Copied like consumer.ts.
 *
 * @module
 */
import redis = require("../../mod.ts");
import type { RedisSessionAdapterFunction } from "../../mod.ts";

export const make = (client: redis.RedisClient): RedisSessionAdapterFunction =>
  redis.default(client, { namespaces: { session: "s" } });
export const named: typeof redis.default = redis.redis;
