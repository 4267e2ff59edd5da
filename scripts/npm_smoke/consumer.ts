/**
 * A TypeScript program using the npm package: tsc --strict compiles it with NodeNext and with
 * Bundler resolution in the consumer project of scripts/build_npm.ts, which copies the programs
 * of this folder there with `../../mod.ts` replaced by the package's name and the npm aliases
 * `redis4` and `ioredis5` by `redis` and `ioredis`.
 *
 * It declares Lucia's global types as an application does. Checked in one program with the rest
 * of the repository, they would apply to every other file too: scripts/test.mjs type-checks it
 * on its own.
 *
 * @module
 */
import lucia, { type AdapterFunction, LuciaError, type SessionAdapter } from "lucia-auth";
import redis, {
  InvalidSessionDataError,
  type RedisClient,
  type RedisSessionAdapter,
  type RedisSessionAdapterOptions,
  type StoredSession,
} from "../../mod.ts";
import { createClient } from "redis4";
import { Redis } from "ioredis5";

declare global {
  namespace Lucia {
    type Auth = import("lucia-auth").Auth;
    // deno-lint-ignore ban-types -- lucia-auth 1.x's documented declaration
    type UserAttributes = {};
  }
}

declare const userAdapter: AdapterFunction<import("lucia-auth").UserAdapter>;

const options: RedisSessionAdapterOptions = { namespaces: { session: "s", userSession: "u" } };
const fromNodeRedis: AdapterFunction<SessionAdapter> = redis(createClient(), options);
const fromIoredis: AdapterFunction<SessionAdapter> = redis(new Redis({ lazyConnect: true }));
const client: RedisClient = createClient();
const adapter: RedisSessionAdapter = redis(client)(LuciaError);
export const pending: Promise<StoredSession | null> = adapter.getSession("id");
export const auth = lucia({
  adapter: { user: userAdapter, session: fromNodeRedis },
  env: "DEV",
});
export const also = fromIoredis;
export const isCorrupt = (e: unknown): boolean => e instanceof InvalidSessionDataError;
