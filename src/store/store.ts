/**
 * What every store is: the session operations on Redis (`Store`), what a store is given
 * (`StoreContext`), and the reply checks both stores share (`store/single.ts` on a single server,
 * `store/cluster.ts` on a Redis Cluster).
 *
 * @module
 */
import type { Connection, Reply } from "../clients/connection.ts";
import { failureOf, replyShape } from "../clients/reply.ts";
import { RedisOperationError } from "../core/errors.ts";
import { keyForLog, type Keys } from "../core/keys.ts";
import type { SessionRecord } from "../core/session.ts";
import type { ConfirmWrites } from "./durability.ts";
import type { RunOperation } from "./operation.ts";

/** The session operations on Redis. @internal */
export interface Store {
  /** The value stored for a session id, or null (none, expired, or a tombstone). */
  getSession(id: string): Promise<string | null>;
  /** `[id, value]` of each live session in the user's index, by idle expiry. */
  getSessionsByUserId(userId: string): Promise<[string, string][]>;
  /** Stores a session and indexes it; false when its id is taken (nothing changed). */
  setSession(record: SessionRecord): Promise<boolean>;
  /** Deletes these sessions and their index entries. */
  deleteSession(ids: readonly string[]): Promise<void>;
  /** Deletes the user's index and every session in it that is the user's. */
  deleteSessionsByUserId(userId: string): Promise<void>;
  /**
   * Replaces the session's value `read` by `record` (same id and user), if the session still
   * holds it: true when written; otherwise what it holds now (null: deleted meanwhile).
   */
  updateSession(read: string, record: SessionRecord): Promise<true | string | null>;
}

/** The reply of an update script: `[1]`, or `[0, what the key holds now]`. @internal */
export function updated(reply: Reply): true | string | null {
  if (Array.isArray(reply) && reply[0] === 1) return true;
  if (Array.isArray(reply) && reply[0] === 0) {
    return stringOrNull(reply[1] ?? null, "updateSession");
  }
  throw new TypeError(`Unexpected reply from Redis to updateSession: ${replyShape(reply)}`);
}

/** What every store needs. @internal */
export interface StoreContext {
  readonly connection: Connection;
  readonly keys: Keys;
  readonly run: RunOperation;
  /** The cap on live sessions per user; 0 for none. */
  readonly maxSessionsPerUser: number;
  /**
   * Called after each revocation's writes with the keys written (`durability`: `WAIT` for the
   * replicas); setSession calls it only under a cap, which may sign sessions out.
   */
  readonly confirm: ConfirmWrites;
}

/**
 * Throws when a script answered with a failure reply (`[null, key, message]`: a check failed
 * and nothing was written), and otherwise returns the reply.
 *
 * @internal
 */
export function checkReply(operation: string, keys: Keys, reply: Reply): Reply {
  const failure = failureOf(reply);
  if (failure !== undefined) {
    const key = keyForLog(keys, failure.key);
    throw new RedisOperationError(operation, key, new Error(failure.message));
  }
  return reply;
}

/** A reply that is a string or null, or a TypeError saying what came instead. @internal */
export function stringOrNull(reply: Reply, what: string): string | null {
  if (reply === null || typeof reply === "string") return reply;
  throw new TypeError(`Unexpected reply from Redis to ${what}: ${replyShape(reply)}`);
}
