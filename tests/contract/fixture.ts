/**
 * What every group of the contract suite uses: the context of the suite's Redis and client, a
 * fresh adapter per test, and sessions to store.
 *
 * @module
 */
import { LuciaError } from "lucia-auth";
import redis, {
  type RedisSessionAdapter,
  type RedisSessionAdapterFunction,
  type RedisSessionAdapterOptions,
  type SessionSchema,
} from "../../mod.ts";
import type { Admin, Endpoint, freshNamespaces } from "../harness.ts";

/** An hour in milliseconds. */
export const HOUR = 60 * 60 * 1000;
/** A year in milliseconds. */
export const YEAR = 365 * 24 * HOUR;
/** Options of a test that may take up to two minutes. */
export const long = { timeout: 120_000 };

/** The suite's Redis (set once its `before` hook has run) and the client under test. */
export interface ContractContext {
  /** True for a Redis Cluster (known when the suite is defined). */
  readonly cluster: boolean;
  /** The servers to MONITOR: the one server, or the cluster's primaries. */
  monitor: Endpoint[];
  admin: Admin;
  client: unknown;
}

/** A fresh adapter on fresh namespaces, and helpers to look at what it wrote. */
export interface Fixture {
  /** The adapter, given lucia-auth's LuciaError as Lucia gives it. */
  adapter: RedisSessionAdapter;
  /** What `redis()` returned for it: Lucia's `adapter.session`, or called with no LuciaError. */
  adapterFunction: RedisSessionAdapterFunction;
  ns: ReturnType<typeof freshNamespaces>;
  sessionKey(id: string): string;
  indexKey(userId: string): string;
}

/** A session of `userId` whose idle expiry is `idleInMs` away (its active one at most half an hour). */
export function session(id: string, userId: string, idleInMs = HOUR, extra = {}): SessionSchema {
  const now = Date.now();
  return {
    id,
    user_id: userId,
    active_expires: now + Math.min(idleInMs, HOUR / 2),
    idle_expires: now + idleInMs,
    ...extra,
  };
}

/** An adapter over the suite's client on the given namespaces, with more options. */
export function redisWith(
  ctx: ContractContext,
  ns: { session: string; userSession: string },
  options: Omit<RedisSessionAdapterOptions, "namespaces">,
): RedisSessionAdapter {
  return redis(ctx.client as Parameters<typeof redis>[0], {
    namespaces: { session: ns.session, userSession: ns.userSession },
    ...options,
  })(LuciaError);
}
