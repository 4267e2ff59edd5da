/**
 * A TypeScript program using the package's Lucia v2 entry, `@lucia-auth/adapter-session-redis/v2`:
 * tsc --strict compiles it with NodeNext and with Bundler resolution in the consumer project of
 * scripts/build_npm.ts, which copies it there like consumer.ts, with `../../v2.ts` replaced by the
 * package's `/v2` subpath. It uses nothing from lucia-auth, which a Lucia v2 app does not have.
 *
 * @module
 */
import redis, {
  DuplicateSessionIdError,
  InvalidSessionDataError,
  type LuciaV2Session,
  type LuciaV2SessionAdapter,
  type LuciaV2SessionAdapterFunction,
  redis as named,
  type RedisClient,
  type RedisSessionAdapterV2Options,
} from "../../v2.ts";
import { createClient } from "redis4";
import { Redis } from "ioredis5";

type Attributes = { country: string };

const options: RedisSessionAdapterV2Options = { session: "s", userSessions: "u" };
const fromNodeRedis: LuciaV2SessionAdapterFunction<Attributes> = redis(createClient(), options);
const fromIoredis: LuciaV2SessionAdapterFunction = named(new Redis({ lazyConnect: true }));
const client: RedisClient = createClient();
const adapter: LuciaV2SessionAdapter<Attributes> = fromNodeRedis();
const session: LuciaV2Session<Attributes> = {
  id: "s",
  user_id: "u",
  active_expires: 1,
  idle_expires: 2,
  country: "FR",
};
export const stored: Promise<void> = adapter.setSession(session);
export const pending: Promise<LuciaV2Session<Attributes> | null> = adapter.getSession("s");
export const updated: Promise<void> = adapter.updateSession("s", { country: "DE" });
// @ts-expect-error: a session attribute of the wrong type.
export const wrong: Promise<void> = adapter.updateSession("s", { country: 1 });
export const listed: Promise<LuciaV2Session<Attributes>[]> = adapter.getSessionsByUserId("u");
export const also: LuciaV2SessionAdapter = redis(client)(class LuciaError extends Error {});
export const lazy = fromIoredis;
export const isDuplicate = (e: unknown): boolean => e instanceof DuplicateSessionIdError;
export const isCorrupt = (e: unknown): boolean => e instanceof InvalidSessionDataError;
