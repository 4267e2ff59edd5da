/**
 * The storage core: the session operations on the data model of docs/models.md,
 * independent of which Lucia version's adapter sits on top. On a single Redis server each
 * operation is one command: a plain `GET`, or one of the scripts of `lua/single.ts`.
 *
 * Values are handled raw here (the JSON as stored); parsing and validation are the adapter's.
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Connection, Reply } from "../clients/connection.ts";
import { isWrongType, replyShape } from "../clients/reply.ts";
import {
  DELETE_SESSION,
  DELETE_SESSIONS_BY_USER_ID,
  SET_SESSION,
  UPDATE_SESSION,
} from "../lua/single.ts";
import { legacyIds } from "./legacy_index.ts";
import { scriptRunner } from "./script_runner.ts";
import { checkReply, type Store, type StoreContext, stringOrNull, updated } from "./store.ts";

/**
 * The live sessions among `ids` and the values `MGET` read for them: a null value (gone) or an
 * empty one (a tombstone) is left out.
 *
 * @internal
 */
export function livePairs(ids: readonly string[], values: readonly Reply[]): [string, string][] {
  if (ids.length !== values.length) {
    throw new TypeError(
      `Unexpected reply from Redis to MGET: ${values.length} values for ${ids.length} keys`,
    );
  }
  const out: [string, string][] = [];
  for (let i = 0; i < ids.length; i++) {
    const value = values[i];
    if (value !== null && typeof value !== "string") {
      throw new TypeError(`Unexpected reply from Redis to MGET: ${replyShape(value)}`);
    }
    if (value !== null && value !== "") out.push([ids[i], value]);
  }
  return out;
}

/**
 * Session keys read by one `MGET` at most: a user with many sessions is read in several replies
 * sent together, so no one reply (nor the time the server spends on it) grows without bound.
 */
const MGET_CHUNK = 1000;

/**
 * The ids in a user's index, in idle-expiry order (`ZRANGE`); an index left by the earlier
 * adapters (a list or a set) read as it is. Plain reads: never `SORT`, which would convert a small
 * sorted set's compact encoding for good, and no script, whose copying of every value in and
 * out of Lua costs Redis several times the two commands.
 */
async function indexIds(connection: Connection, index: string): Promise<string[]> {
  let reply: Reply;
  try {
    reply = await connection.send(commands.zrange(index, "0", "-1"));
  } catch (error) {
    if (!isWrongType(error)) throw error;
    const ids = await legacyIds(connection, index);
    if (ids === undefined) throw error;
    return ids;
  }
  if (!Array.isArray(reply) || !reply.every((id) => typeof id === "string")) {
    throw new TypeError("Unexpected reply from Redis to ZRANGE: not a list of ids");
  }
  return reply as string[];
}

/** The value under each key (`MGET`, in chunks sent together): null where there is none. */
async function sessionValues(connection: Connection, keys: string[]): Promise<Reply[]> {
  const chunks: Promise<Reply>[] = [];
  for (let i = 0; i < keys.length; i += MGET_CHUNK) {
    chunks.push(connection.send(commands.mget(keys.slice(i, i + MGET_CHUNK))));
  }
  const replies = await Promise.all(chunks);
  return replies.flatMap((reply) => {
    if (!Array.isArray(reply)) throw new TypeError("Unexpected reply from Redis to MGET");
    return reply;
  });
}

/**
 * The store for a single Redis server (or a replicated one, or Sentinel): every operation one
 * atomic command.
 *
 * @internal
 */
export function scriptStore(
  { connection, keys, run, maxSessionsPerUser, confirm }: StoreContext,
): Store {
  const script = scriptRunner(connection);
  const cap = String(maxSessionsPerUser);
  return {
    getSession: (id) => {
      const key = keys.session(id);
      return run("getSession", keys.sessionForLog(id), async () => {
        const value = stringOrNull(await connection.send(commands.get(key)), "GET");
        return value === "" ? null : value;
      });
    },

    getSessionsByUserId: (userId) => {
      const index = keys.userSession(userId);
      return run("getSessionsByUserId", index, async () => {
        const ids = await indexIds(connection, index);
        const values = await sessionValues(connection, ids.map(keys.session));
        return livePairs(ids, values);
      });
    },

    setSession: (record) =>
      run("setSession", keys.sessionForLog(record.id), async () => {
        const key = keys.session(record.id);
        const reply = await script(SET_SESSION, {
          keys: {
            session_key: key,
            index_key: keys.userSession(record.userId),
          },
          args: {
            json: record.json,
            expires_at: String(record.expiresAt),
            id: record.id,
            session_prefix: keys.sessionPrefix,
            user_id: record.userId,
            cap,
          },
        });
        const stored = checkReply("setSession", keys, reply) === 1;
        // Under a cap the script may have signed the user's oldest sessions out.
        if (stored && maxSessionsPerUser > 0) {
          await confirm("setSession", keys.sessionForLog(record.id), [key]);
        }
        return stored;
      }),

    deleteSession: (ids) =>
      run("deleteSession", keys.sessionForLog(ids[0] ?? ""), async () => {
        const sessionKeys = [...new Set(ids)].map(keys.session);
        const reply = await script(DELETE_SESSION, {
          keys: {},
          args: { index_prefix: keys.userSessionPrefix, session_prefix: keys.sessionPrefix },
          rest: sessionKeys,
        });
        checkReply("deleteSession", keys, reply);
        await confirm("deleteSession", keys.sessionForLog(ids[0] ?? ""), sessionKeys);
      }),

    deleteSessionsByUserId: (userId) => {
      const index = keys.userSession(userId);
      return run("deleteSessionsByUserId", index, async () => {
        const reply = await script(DELETE_SESSIONS_BY_USER_ID, {
          keys: { index_key: index },
          args: { session_prefix: keys.sessionPrefix, user_id: userId },
        });
        checkReply("deleteSessionsByUserId", keys, reply);
        await confirm("deleteSessionsByUserId", index, [index]);
      });
    },

    updateSession: (read, record) =>
      run("updateSession", keys.sessionForLog(record.id), async () => {
        const reply = await script(UPDATE_SESSION, {
          keys: {
            session_key: keys.session(record.id),
            index_key: keys.userSession(record.userId),
          },
          args: {
            read,
            json: record.json,
            expires_at: String(record.expiresAt),
            id: record.id,
            session_prefix: keys.sessionPrefix,
            user_id: record.userId,
          },
        });
        return updated(checkReply("updateSession", keys, reply));
      }),
  };
}
