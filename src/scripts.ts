/**
 * The Lua scripts that make each multi-key operation one atomic command, and how they are run:
 * by SHA (EVALSHA), loaded with EVAL on first use and whenever Redis answers NOSCRIPT.
 *
 * setSession and the conversion of legacy indexes read the clock with TIME, so Redis's own
 * clock, the one that expires keys, decides what is dead. Requires Redis >= 6.2 (SET ... PXAT,
 * GETDEL).
 *
 * @module
 */
import type { Connection, Reply } from "./connection.ts";

/** Keys passed to Lua `unpack` at once; `unpack` fails at about 8,000 values. @internal */
export const CHUNK = 1000;

/**
 * Shared Lua helpers.
 *
 * - `now_ms()`: Redis's clock in ms.
 * - `set_expiry(index)`: makes the index expire with its longest-lived session.
 * - `convert(index, session_prefix)`: converts an index left by the earlier adapters (a LIST in
 *   1.x, a SET in 2.x) into the sorted set, in place: each id whose session still exists is
 *   scored by its `idle_expires`, and that session's key is made to expire then (the earlier
 *   adapters set it ~54 years ahead); dead ids are dropped. A session whose value cannot be
 *   decoded keeps its key and is scored by its TTL (left out if it has none). Any other type is
 *   left alone.
 * - `on_index(index, session_prefix, ...)`: runs a command on the index. The index's type is not
 *   checked up front (that would cost a TYPE on every call): only when the command fails is the
 *   index converted and the command run again, which raises Redis's own error (WRONGTYPE) if the
 *   key holds anything else.
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
local function convert(index, session_prefix)
  local kind = redis.call('TYPE', index)['ok']
  local ids
  if kind == 'list' then
    ids = redis.call('LRANGE', index, 0, -1)
  elseif kind == 'set' then
    ids = redis.call('SMEMBERS', index)
  else
    return
  end
  local now = now_ms()
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
local function failed(reply)
  return type(reply) == 'table' and reply['err'] ~= nil
end
local function on_index(index, session_prefix, ...)
  local reply = redis.pcall(...)
  if failed(reply) then
    convert(index, session_prefix)
    reply = redis.call(...)
  end
  return reply
end
`;

/**
 * setSession. KEYS: session key, index key. ARGV: JSON, expiry (ms), session id, session
 * prefix. Returns 1, or 0 when the id is taken. Nothing is written when it returns 0 or fails:
 * if the index holds a foreign type, the session just written is deleted again before the
 * error is returned.
 */
const SET_SESSION = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], 'NX') then return 0 end
local added = redis.pcall('ZADD', KEYS[2], ARGV[2], ARGV[3])
if failed(added) then
  convert(KEYS[2], ARGV[4])
  added = redis.pcall('ZADD', KEYS[2], ARGV[2], ARGV[3])
  if failed(added) then
    redis.call('DEL', KEYS[1])
    return added
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now_ms())
set_expiry(KEYS[2])
return 1
`;

/**
 * getSessionsByUserId. KEYS: index key. ARGV: session prefix. Reads every session in the index,
 * drops the ids whose session is gone (expired, so Redis no longer returns it, or deleted), and
 * returns `{ids, values}` (ordered by idle expiry; a value is nil where the session was gone),
 * or an empty array for no sessions. No clock is needed: a session key's own expiry decides.
 */
const GET_USER_SESSIONS = `
local ids = on_index(KEYS[1], ARGV[1], 'ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {} end
local values, dead = {}, {}
for i = 1, #ids, ${CHUNK} do
  local last = math.min(i + ${CHUNK} - 1, #ids)
  local keys = {}
  for j = i, last do keys[#keys + 1] = ARGV[1] .. ids[j] end
  local got = redis.call('MGET', unpack(keys))
  for j = i, last do
    local value = got[j - i + 1]
    values[j] = value
    if not value then dead[#dead + 1] = ids[j] end
  end
end
for i = 1, #dead, ${CHUNK} do
  redis.call('ZREM', KEYS[1], unpack(dead, i, math.min(i + ${CHUNK} - 1, #dead)))
end
if #dead > 0 then set_expiry(KEYS[1]) end
return {ids, values}
`;

/**
 * deleteSession. KEYS: session keys. ARGV: index prefix, session prefix, then the session ids.
 * Deletes each session (GETDEL) and its id from its user's index (the user is read from the
 * session), and makes the index expire with what is left.
 */
const DELETE_SESSIONS = `
for i, key in ipairs(KEYS) do
  local raw = redis.call('GETDEL', key)
  if raw then
    local ok, session = pcall(cjson.decode, raw)
    local user = ok and type(session) == 'table' and session['user_id']
    if type(user) == 'string' or type(user) == 'number' then
      local index = ARGV[1] .. user
      if on_index(index, ARGV[2], 'ZREM', index, ARGV[i + 2]) > 0 then set_expiry(index) end
    end
  end
end
return 0
`;

/**
 * deleteSessionsByUserId. KEYS: index key. ARGV: session prefix. Deletes the index and every
 * session in it. Returns how many ids it held.
 */
const DELETE_USER_SESSIONS = `
local ids = on_index(KEYS[1], ARGV[1], 'ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return 0 end
for i = 1, #ids, ${CHUNK} do
  local keys = {}
  if i == 1 then keys[1] = KEYS[1] end
  for j = i, math.min(i + ${CHUNK} - 1, #ids) do keys[#keys + 1] = ARGV[1] .. ids[j] end
  redis.call('DEL', unpack(keys))
end
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
