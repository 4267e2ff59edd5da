/**
 * What both adapters (Lucia v1's in adapter/v1.ts, Lucia v2's in adapter/v2.ts) do alike: open the
 * store over a client, and read sessions from it.
 *
 * @module
 */
import { CANNOT_CREATE } from "../core/util.ts";
import { type RedisClient, toConnection } from "../clients/table.ts";
import { cachedStore, SessionCache } from "../store/cache.ts";
import { clusterStore } from "../store/cluster.ts";
import { writeConfirmer } from "../store/durability.ts";
import { operationRunner } from "../store/operation.ts";
import { type Keys, withKeyPrefix } from "../core/keys.ts";
import type { Settings } from "../core/options.ts";
import { assertId, parseSession, type StoredSession } from "../core/session.ts";
import { scriptStore } from "../store/single.ts";
import type { Store } from "../store/store.ts";

/**
 * Recognises the client (a TypeError for an unsupported one) and opens the store for it: the
 * cluster path for a cluster client, one command per operation otherwise. Sends nothing.
 *
 * @internal
 */
export function openStore(
  redisClient: RedisClient,
  settings: Settings,
): { keys: Keys; store: Store } {
  const connection = toConnection(redisClient);
  if (settings.durability !== undefined && connection.noWait !== undefined) {
    throw new TypeError(
      `${CANNOT_CREATE}: option "durability" needs a client that sends each command over one ` +
        `connection, so that WAIT follows the write on it; ${connection.noWait}`,
    );
  }
  if (settings.cache !== undefined && connection.subscriber === undefined) {
    throw new TypeError(
      `${CANNOT_CREATE}: option "cache" needs a client that can hold a connection subscribed to ` +
        `Redis's invalidations (node-redis or ioredis on a single server); ` +
        (connection.noSubscriber ?? "this one cannot"),
    );
  }
  const keys = withKeyPrefix(settings.keys, connection.keyPrefix);
  const run = operationRunner(redisClient, connection, settings);
  const open = connection.cluster ? clusterStore : scriptStore;
  const opened = open({
    connection,
    keys,
    run,
    maxSessionsPerUser: settings.maxSessionsPerUser,
    confirm: writeConfirmer(connection, settings.durability),
  });
  const store = settings.cache === undefined ? opened : cachedStore(
    opened,
    keys.session,
    new SessionCache(connection, keys.sessionPrefix, settings.cache),
    settings.maxSessionsPerUser > 0,
  );
  return { keys, store };
}

/** The session with this id, or null. @internal */
export async function readSession(
  store: Store,
  keys: Keys,
  sessionId: string,
): Promise<StoredSession | null> {
  assertId(sessionId, "the session id");
  const value = await store.getSession(sessionId);
  return value === null ? null : parseSession(keys.sessionForLog(sessionId), value);
}

/** The user's live sessions, by idle expiry; another user's session under a stale id is left out. @internal */
export async function readUserSessions(
  store: Store,
  keys: Keys,
  userId: string,
): Promise<StoredSession[]> {
  assertId(userId, "the user id");
  const sessions: StoredSession[] = [];
  for (const [id, value] of await store.getSessionsByUserId(userId)) {
    const session = parseSession(keys.sessionForLog(id), value);
    if (session.user_id === userId) sessions.push(session);
  }
  // In idle-expiry order already, but for an index left by the 2.x adapter (a set).
  return sessions.sort((a, b) => a.idle_expires - b.idle_expires);
}
