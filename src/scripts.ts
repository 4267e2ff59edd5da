/**
 * The Lua scripts that make each multi-key operation one atomic command, and how they are run:
 * by SHA (EVALSHA), loaded with EVAL on first use and whenever Redis answers NOSCRIPT.
 *
 * Every script reads the clock with TIME, so Redis's own clock, the one that expires keys,
 * decides what is dead. Requires Redis >= 6.2 (SET ... PXAT).
 *
 * @module
 */
import type { Connection, Reply } from "./client.ts";

/** Keys passed to Lua `unpack` at once; `unpack` fails at about 8,000 values. @internal */
export const CHUNK = 1000;

/**
 * Shared Lua helpers.
 *
 * - `now_ms()`: Redis's clock in ms.
 * - `ensure_zset(index, session_prefix, now)`: converts an index left by the earlier adapters
 *   (a LIST in 1.x, a SET in 2.x) into the sorted set, in place: each id whose session still
 *   exists is scored by its `idle_expires`, and that session's key is made to expire then (the
 *   earlier adapters set it ~54 years ahead); dead ids are dropped. A session whose value cannot
 *   be decoded keeps its key and is scored by its TTL (left out if it has none). Any other type
 *   raises Redis's own WRONGTYPE error before anything is written.
 * - `set_expiry(index)`: makes the index expire with its longest-lived session.
 * - `prune(index, now)`: drops ids whose idle expiry has passed; returns how many.
 */
const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function set_expiry(index)
  local last = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if last[2] then redis.call('PEXPIREAT', index, last[2]) end
end
local function ensure_zset(index, session_prefix, now)
  local kind = redis.call('TYPE', index)['ok']
  local ids
  if kind == 'list' then
    ids = redis.call('LRANGE', index, 0, -1)
  elseif kind == 'set' then
    ids = redis.call('SMEMBERS', index)
  elseif kind == 'zset' or kind == 'none' then
    return
  else
    redis.call('ZCARD', index)
  end
  redis.call('DEL', index)
  for _, id in ipairs(ids) do
    local key = session_prefix .. id
    local raw = redis.call('GET', key)
    if raw then
      local ok, session = pcall(cjson.decode, raw)
      local idle = ok and type(session) == 'table' and tonumber(session['idle_expires'])
      if idle then
        idle = math.ceil(idle)
        if idle < now then
          redis.call('DEL', key)
        else
          redis.call('PEXPIREAT', key, idle)
          redis.call('ZADD', index, idle, id)
        end
      else
        local ttl = redis.call('PTTL', key)
        if ttl >= 0 then redis.call('ZADD', index, now + ttl, id) end
      end
    end
  end
  set_expiry(index)
end
local function prune(index, now)
  return redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. now)
end
`;

/**
 * setSession. KEYS: session key, index key. ARGV: JSON, expiry (ms), session id, session
 * prefix. Returns 1, or 0 when the id is taken (nothing is written then).
 */
const SET_SESSION = `
local now = now_ms()
ensure_zset(KEYS[2], ARGV[4], now)
if not redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], 'NX') then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
prune(KEYS[2], now)
set_expiry(KEYS[2])
return 1
`;

/**
 * getSessionsByUserId. KEYS: index key. ARGV: session prefix. Returns id, JSON, id, JSON, ...
 * for the user's live sessions (by idle expiry), and drops ids whose session is gone.
 */
const GET_USER_SESSIONS = `
local now = now_ms()
ensure_zset(KEYS[1], ARGV[1], now)
local removed = prune(KEYS[1], now)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local out, dead = {}, {}
for i = 1, #ids, ${CHUNK} do
  local last = math.min(i + ${CHUNK} - 1, #ids)
  local keys = {}
  for j = i, last do keys[#keys + 1] = ARGV[1] .. ids[j] end
  local values = redis.call('MGET', unpack(keys))
  for j = i, last do
    local value = values[j - i + 1]
    if value then
      out[#out + 1] = ids[j]
      out[#out + 1] = value
    else
      dead[#dead + 1] = ids[j]
    end
  end
end
for i = 1, #dead, ${CHUNK} do
  redis.call('ZREM', KEYS[1], unpack(dead, i, math.min(i + ${CHUNK} - 1, #dead)))
end
if removed + #dead > 0 then set_expiry(KEYS[1]) end
return out
`;

/**
 * deleteSession. KEYS: session keys. ARGV: index prefix, session prefix, then the session ids.
 * Deletes each session and its id from its user's index (the user is read from the session).
 */
const DELETE_SESSIONS = `
local now = now_ms()
for i, key in ipairs(KEYS) do
  local raw = redis.call('GET', key)
  if raw then
    local ok, session = pcall(cjson.decode, raw)
    local user = ok and type(session) == 'table' and session['user_id']
    if type(user) == 'string' or type(user) == 'number' then
      local index = ARGV[1] .. user
      ensure_zset(index, ARGV[2], now)
      if redis.call('ZREM', index, ARGV[i + 2]) + prune(index, now) > 0 then
        set_expiry(index)
      end
    end
    redis.call('DEL', key)
  end
end
return 0
`;

/**
 * deleteSessionsByUserId. KEYS: index key. ARGV: session prefix. Deletes every session in the
 * index, then the index. Returns how many ids it held.
 */
const DELETE_USER_SESSIONS = `
local now = now_ms()
ensure_zset(KEYS[1], ARGV[1], now)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #ids, ${CHUNK} do
  local keys = {}
  for j = i, math.min(i + ${CHUNK} - 1, #ids) do keys[#keys + 1] = ARGV[1] .. ids[j] end
  redis.call('DEL', unpack(keys))
end
redis.call('DEL', KEYS[1])
return #ids
`;

/** The scripts by name. @internal */
export const SOURCES = {
  setSession: PRELUDE + SET_SESSION,
  getUserSessions: PRELUDE + GET_USER_SESSIONS,
  deleteSessions: PRELUDE + DELETE_SESSIONS,
  deleteUserSessions: PRELUDE + DELETE_USER_SESSIONS,
} as const;

/** A script's name. @internal */
export type ScriptName = keyof typeof SOURCES;

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.includes("NOSCRIPT");
}

/**
 * Runs the scripts over one connection, as one command each: EVAL the first time (which also
 * loads the script), EVALSHA after that, and EVAL again if Redis has lost the script.
 *
 * @internal
 */
export function scriptRunner(
  connection: Connection,
): (name: ScriptName, keys: string[], args: string[]) => Promise<Reply> {
  const shas = new Map<ScriptName, Promise<string>>();
  const evaluate = (name: ScriptName, keys: string[], args: string[]) =>
    connection.send(["EVAL", SOURCES[name], String(keys.length), ...keys, ...args], keys[0]);
  return async (name, keys, args) => {
    const sha = shas.get(name);
    if (sha === undefined) {
      const reply = await evaluate(name, keys, args);
      shas.set(name, sha1Hex(SOURCES[name]));
      return reply;
    }
    try {
      return await connection.send(
        ["EVALSHA", await sha, String(keys.length), ...keys, ...args],
        keys[0],
      );
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await evaluate(name, keys, args);
    }
  };
}
