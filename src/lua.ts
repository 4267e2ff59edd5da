/**
 * The Lua scripts that make each multi-key operation one atomic command on a single Redis
 * server. They follow the conventions of `lua_lib.ts`: all or nothing, a failure reply instead of
 * an error, owners read from the front of the stored JSON, Redis's own clock.
 *
 * @module
 */
import { COMMON, extendExpiry, lazyScript, script, tidyDue } from "./lua_lib.ts";

/**
 * setSession. KEYS: session key, index key. ARGV: JSON, idle expiry (integer ms), session id,
 * session key prefix, user id, cap on sessions per user (0: none).
 *
 * Returns 1 when the session is stored, which includes a retry of this very write (the id holds
 * exactly this JSON already: a client that resent the command after a dropped connection gets
 * its success); 0 when the id is taken by anything else (nothing changed); or a failure reply.
 *
 * Order: the index entry first (`ZADD NX`, which also checks the index's type before anything
 * is written), then `SET … PXAT … NX`; when the SET is refused the entry is taken back out,
 * unless it was there before. (A session whose idle expiry has already passed is not stored:
 * Redis drops a key set to expire in the past.) Then the index is made to expire no earlier
 * than this session: `PEXPIREAT … GT`, or `NX` for the first expiry of an index just created
 * (every index this adapter writes has an expiry; one found with entries but none, left so by
 * hand, gets its longest-lived entry's; one created for a session already dead is deleted by it
 * at once). Ids whose idle expiry has
 * passed are dropped from the index on about one write in eighteen (see `tidyDue`), and on
 * every write under a cap, where the user's oldest sessions beyond the cap are then signed out
 * (owner-checked). The helpers are instantiated only on those rare paths.
 */
const SET_SESSION = lazyScript(
  COMMON,
  `
local added = redis.pcall('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[3])
if type(added) == 'table' then
  local failed
  added, failed = need().on_index(KEYS[2], ARGV[4], ARGV[5], 'ZADD', KEYS[2], 'NX', ARGV[2], ARGV[3])
  if failed then return failed end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], 'NX') then
  local current = redis.pcall('GET', KEYS[1])
  if current ~= ARGV[1] then
    if added == 1 then redis.call('ZREM', KEYS[2], ARGV[3]) end
    if type(current) == 'table' then return need().failure(KEYS[1], current) end
    return 0
  end
elseif added == 0 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
end
${extendExpiry("KEYS[2]", "ARGV[2]")}
if ${tidyDue("ARGV[3]", "ARGV[6]")} then
  need().rare().tidy(KEYS[2], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[3])
end
return 1
`,
);

/**
 * getSessionsByUserId, where `SORT_RO … GET` cannot be used (an ACL without access to every
 * key, Redis < 7.0, a server that lacks it). KEYS: index key. ARGV: session key prefix, user id.
 *
 * Reads every session in the index (`MGET`, which gives nil for a missing or expired key and for
 * a key holding no string) and returns `{ids, values}` (a value is nil where the session is
 * gone), ordered by idle expiry; a legacy index is converted first. Ids whose session is gone or
 * a tombstone are dropped from the index, best effort: on a read-only replica the reply is the
 * same and the index is left as it is.
 */
const GET_USER_SESSIONS = script(
  [...COMMON, "mget"],
  `
local ids, failed = on_index(KEYS[1], ARGV[1], ARGV[2], 'ZRANGE', KEYS[1], 0, -1)
if failed then return failed end
local values, gone, g = mget(ARGV[1], ids), {}, 0
for i = 1, #ids do
  if not values[i] or values[i] == '' then
    g = g + 1
    gone[g] = ids[i]
  end
end
chunked(redis.pcall, 'ZREM', KEYS[1], gone, g)
return {ids, values}
`,
);

/**
 * deleteSession. KEYS: session keys. ARGV: index key prefix, session key prefix, then the
 * session ids (in the order of KEYS).
 *
 * First reads every session and finds its owner's index; a key holding no string fails the
 * whole call before any write. The ids are then removed from their owners' indexes (one index:
 * its `ZREM` is also its type check; several: each index's type is checked first), and the
 * sessions deleted. A value that is not a session (a tombstone, corrupt data) is deleted too;
 * its owner is unknown, so no index changes (the entry is dropped once its score has passed, or
 * with the index). Returns how many sessions were deleted.
 */
const DELETE_SESSIONS = script(
  COMMON,
  `
if #KEYS == 1 then
  local value = redis.pcall('GET', KEYS[1])
  if type(value) == 'table' then return failure(KEYS[1], value) end
  if not value then return 0 end
  local owner = value ~= '' and owner_of(value)
  if owner then
    local index = ARGV[1] .. owner
    local _, failed = on_index(index, ARGV[2], owner, 'ZREM', index, ARGV[3])
    if failed then return failed end
  end
  redis.call('DEL', KEYS[1])
  return 1
end
local doomed, indexes, order = {}, {}, {}
for i, key in ipairs(KEYS) do
  local value = redis.pcall('GET', key)
  if type(value) == 'table' then return failure(key, value) end
  if value then
    doomed[#doomed + 1] = key
    local owner = value ~= '' and owner_of(value)
    if owner then
      local index = ARGV[1] .. owner
      if not indexes[index] then
        indexes[index] = {owner}
        order[#order + 1] = index
      end
      local ids = indexes[index]
      ids[#ids + 1] = ARGV[i + 2]
    end
  end
end
if #doomed == 0 then return 0 end
if #order == 1 then
  local ids = indexes[order[1]]
  local _, failed = on_index(order[1], ARGV[2], ids[1], 'ZREM', order[1], unpack(ids, 2))
  if failed then return failed end
elseif #order > 1 then
  for _, index in ipairs(order) do
    local kind = redis.pcall('TYPE', index)
    if kind['err'] then return failure(index, kind) end
    kind = kind['ok']
    if kind ~= 'zset' and kind ~= 'none' and kind ~= 'list' and kind ~= 'set' then
      return failure(index, {err = 'WRONGTYPE Operation against a key holding the wrong kind of value'})
    end
  end
  local lib = rare()
  for _, index in ipairs(order) do
    local ids = indexes[index]
    lib.convert(index, ARGV[2], ids[1])
    redis.call('ZREM', index, unpack(ids, 2))
  end
end
redis.call('DEL', unpack(doomed))
return #doomed
`,
);

/**
 * deleteSessionsByUserId. KEYS: index key. ARGV: session key prefix, user id.
 *
 * Reads the index and every session in it, then deletes the index and those sessions whose
 * stored user_id is this user's. An id in the index whose session now belongs to someone else
 * (it expired, and the id was used again) is only dropped from the index. Returns how many
 * sessions were deleted.
 */
const DELETE_USER_SESSIONS = script(
  [...COMMON, "mget"],
  `
local ids, failed = on_index(KEYS[1], ARGV[1], ARGV[2], 'ZRANGE', KEYS[1], 0, -1)
if failed then return failed end
if #ids == 0 then return 0 end
local values, mine, m = mget(ARGV[1], ids), {KEYS[1]}, 1
for i = 1, #ids do
  local value = values[i]
  if value and value ~= '' and owner_of(value) == ARGV[2] then
    m = m + 1
    mine[m] = ARGV[1] .. ids[i]
  end
end
chunked(redis.call, 'DEL', nil, mine, m)
return m - 1
`,
);

/**
 * updateSession (Lucia v2): a compare-and-set. KEYS: session key, index key. ARGV: the value read,
 * the new value, its idle expiry (integer ms), session id, session key prefix, user id.
 *
 * Writes the new value only if the key still holds the value read (the caller merged its fields
 * into that one), with the new expiry, and gives the index entry the new score, making the index
 * expire no earlier than the session. Returns `{1}` when written, or `{0, value}` with what the key
 * holds now (nil: the session was deleted meanwhile, and stays deleted) for the caller to merge
 * into again; a failure reply (nothing written) when a key holds another type.
 */
const UPDATE_SESSION = script(
  COMMON,
  `
local current = redis.pcall('GET', KEYS[1])
if type(current) == 'table' then return failure(KEYS[1], current) end
if current ~= ARGV[1] then return {0, current} end
local _, failed = on_index(KEYS[2], ARGV[5], ARGV[6], 'ZADD', KEYS[2], ARGV[3], ARGV[4])
if failed then return failed end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
${extendExpiry("KEYS[2]", "ARGV[3]", "rare()")}
return {1}
`,
);

/** The scripts by name. @internal */
export const SCRIPTS = {
  setSession: SET_SESSION,
  getUserSessions: GET_USER_SESSIONS,
  deleteSessions: DELETE_SESSIONS,
  deleteUserSessions: DELETE_USER_SESSIONS,
  updateSession: UPDATE_SESSION,
} as const;
