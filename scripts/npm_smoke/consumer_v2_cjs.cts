/**
 * A CommonJS TypeScript program using the package's Lucia v2 entry: tsc --strict compiles it with
 * NodeNext, so it resolves the `/v2` subpath's "require" types. Copied like consumer_v2.ts.
 *
 * @module
 */
import redis = require("../../v2.ts");
import type { LuciaV2SessionAdapterFunction } from "../../v2.ts";

export const make = (client: redis.RedisClient): LuciaV2SessionAdapterFunction =>
  redis.default(client, { session: "s", userSessions: "u" });
export const named: typeof redis.default = redis.redis;
export const isDuplicate = (e: unknown): boolean => e instanceof redis.DuplicateSessionIdError;
