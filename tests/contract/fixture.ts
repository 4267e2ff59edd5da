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
import { type Admin, type Endpoint, freshNamespaces } from "../helpers/harness.ts";

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
  /** The prefix the client itself puts before every key (ioredis's `keyPrefix`); none if unset. */
  keyPrefix?: string;
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

/**
 * Fresh namespaces as Redis holds them: under `keyPrefix`, the prefix the client itself puts
 * before every key (ioredis's `keyPrefix`), so that tests read and seed keys where the adapter
 * writes them.
 */
export function freshKeyspace(keyPrefix = ""): ReturnType<typeof freshNamespaces> {
  const ns = freshNamespaces();
  return {
    root: keyPrefix + ns.root,
    session: keyPrefix + ns.session,
    userSession: keyPrefix + ns.userSession,
  };
}

/**
 * The namespaces to give the adapter for keys at `ns` (from {@linkcode freshKeyspace}): without
 * the client's `keyPrefix`, which the client puts back.
 */
export function adapterNamespaces(
  ns: { session: string; userSession: string },
  keyPrefix = "",
): { session: string; userSession: string } {
  return {
    session: ns.session.slice(keyPrefix.length),
    userSession: ns.userSession.slice(keyPrefix.length),
  };
}

/** An adapter over the suite's client on the given namespaces, with more options. */
export function redisWith(
  ctx: ContractContext,
  ns: { session: string; userSession: string },
  options: Omit<RedisSessionAdapterOptions, "namespaces">,
): RedisSessionAdapter {
  return redis(ctx.client as Parameters<typeof redis>[0], {
    namespaces: adapterNamespaces(ns, ctx.keyPrefix),
    ...options,
  })(LuciaError);
}
