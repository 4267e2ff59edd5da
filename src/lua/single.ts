/**
 * The Lua scripts that make each multi-key operation one atomic command on a single Redis
 * server. They follow the conventions of `lua/helpers.ts`: all or nothing (ACL included), a failure
 * reply instead of an error, owners read by an exact reader that never decodes a whole value,
 * `unpack` only in chunks, Redis's own clock.
 *
 * @module
 */
import { defineScript } from "./define.ts";
import {
  aclGuard,
  chunked,
  extendChecks,
  extendExpiry,
  failure,
  mget,
  onIndex,
  ownerOf,
  rare,
  tidyDue,
  wrongType,
} from "./helpers.ts";

/**
 * setSession.
 *
 * Returns 1 when the session is stored, which includes a retry of this very write (the id holds
 * exactly this JSON already: a client that resent the command after a dropped connection gets
 * its success); 0 when the id is taken by anything else (nothing changed); or a failure reply.
 *
 * Order: the ACL checks of every command that can follow the first write; the index entry
 * (`ZADD NX`, which also checks the index's type before anything is written), then
 * `SET … PXAT … NX`; when the SET is refused the entry is taken back out, unless it was there
 * before. (A session whose idle expiry has already passed is not stored: Redis drops a key set
 * to expire in the past.) Then the index is made to expire no earlier than this session:
 * `PEXPIREAT … GT`, or `NX` for the first expiry of an index just created (every index this
 * adapter writes has an expiry; one found with entries but none, left so by hand, gets its
 * longest-lived entry's). Ids whose idle expiry has passed are dropped from the index on about
 * one write in eighteen (see `tidyDue`), and on every write under a cap, where the user's oldest
 * sessions beyond the cap are then signed out (owner-checked, fail closed). The helpers are
 * instantiated only on those rare paths.
 *
 * @internal
 */
export const SET_SESSION = defineScript({
  name: "setSession",
  keys: ["session_key", "index_key"],
  args: ["json", "expires_at", "id", "session_prefix", "user_id", "cap"],
  uses: [onIndex, failure, rare],
  commands: ["ZADD", "SET", "GET", "ZREM", "PEXPIREAT", "ZCARD"],
  lazy: true,
  body: `
local due = ${tidyDue("id", "cap")}
${
    aclGuard([
      ["SET", "session_key"],
      ["GET", "session_key"],
      ["ZREM", "index_key"],
      ...extendChecks("index_key"),
    ])
  }
if due then
  ${aclGuard([["ZREMRANGEBYSCORE", "index_key"], ["ZRANGE", "index_key"], ["DEL", "session_key"]])}
end
local added = redis.pcall('ZADD', index_key, 'NX', expires_at, id)
if type(added) == 'table' then
  local failed
  added, failed = need().on_index(index_key, session_prefix, user_id, 'ZADD', index_key, 'NX', expires_at, id)
  if failed then return failed end
end
if not redis.call('SET', session_key, json, 'PXAT', expires_at, 'NX') then
  local current = redis.pcall('GET', session_key)
  if current ~= json then
    if added == 1 then redis.call('ZREM', index_key, id) end
    if type(current) == 'table' then return need().failure(session_key, current) end
    return 0
  end
elseif added == 0 then
  redis.call('ZADD', index_key, expires_at, id)
end
${extendExpiry("index_key", "expires_at")}
if due then
  need().rare().tidy(index_key, session_prefix, user_id, tonumber(cap), id)
end
return 1
`,
});

/**
 * deleteSession. KEYS: the session keys (`session_keys`). ARGV: index key prefix, session key
 * prefix (a session's id is its key less that prefix).
 *
 * First reads every session and finds its owner's index, and checks every index's type (one
 * index: its `ZREM` is the check); a key holding no string fails the whole call before any
 * write. The ids are then removed from their owners' indexes, and the sessions deleted. A value
 * whose owner cannot be read (a tombstone, corrupt data, another adapter's) is deleted too, and
 * no index changes (the entry is dropped once its score has passed, or with the index). Every
 * `ZREM` and `DEL` goes in chunks, whatever the number of ids. Returns how many sessions were
 * deleted.
 *
 * @internal
 */
export const DELETE_SESSION = defineScript({
  name: "deleteSession",
  keys: [],
  restKeys: "session_keys",
  args: ["index_prefix", "session_prefix"],
  uses: [onIndex, ownerOf, failure, wrongType, chunked, rare],
  commands: ["GET", "TYPE", "ZREM", "DEL"],
  body: `
local doomed, indexes, order = {}, {}, {}
for _, key in ipairs(session_keys) do
  local value = redis.pcall('GET', key)
  if type(value) == 'table' then return failure(key, value, 'GET') end
  if value then
    doomed[#doomed + 1] = key
    local owner = value ~= '' and owner_of(value)
    if owner then
      local index = index_prefix .. owner
      if not indexes[index] then
        indexes[index] = {owner = owner, ids = {}}
        order[#order + 1] = index
      end
      local ids = indexes[index].ids
      ids[#ids + 1] = string.sub(key, #session_prefix + 1)
    end
  end
end
if #doomed == 0 then return 0 end
local first = doomed[1]
if #order <= 1 then
  ${aclGuard([["DEL", "first"]])}
  if #order == 1 then
    local index, entry = order[1], indexes[order[1]]
    local _, failed = on_index(index, session_prefix, entry.owner, 'ZREM', index, entry.ids[1])
    if failed then return failed end
    chunked(redis.call, 'ZREM', index, entry.ids, #entry.ids, 2)
  end
else
  local legacy = {}
  for _, index in ipairs(order) do
    local kind = redis.pcall('TYPE', index)
    if kind['err'] then return failure(index, kind, 'TYPE') end
    kind = kind['ok']
    if kind == 'list' or kind == 'set' then
      legacy[#legacy + 1] = index
    elseif kind ~= 'zset' and kind ~= 'none' then
      return wrong_type(index)
    end
  end
  local index = order[1]
  ${aclGuard([["DEL", "first"], ["ZREM", "index"]])}
  if #legacy > 0 then
    local lib = rare()
    for _, key in ipairs(legacy) do lib.convert(key, session_prefix, indexes[key].owner) end
  end
  for _, key in ipairs(order) do
    local ids = indexes[key].ids
    chunked(redis.call, 'ZREM', key, ids, #ids)
  end
end
chunked(redis.call, 'DEL', nil, doomed, #doomed)
return #doomed
`,
});

/**
 * deleteSessionsByUserId.
 *
 * Reads the index and every session in it, then deletes the index and every session it lists
 * that is this user's or whose owner cannot be read (fail closed: a value listed under this user
 * that no rule can attribute is deleted rather than left alive). An id whose session now belongs
 * to someone else (it expired, and the id was used again) is only dropped with the index.
 * Returns how many sessions were deleted.
 *
 * @internal
 */
export const DELETE_SESSIONS_BY_USER_ID = defineScript({
  name: "deleteSessionsByUserId",
  keys: ["index_key"],
  args: ["session_prefix", "user_id"],
  uses: [onIndex, mget, ownerOf, chunked],
  commands: ["ZRANGE", "DEL"],
  body: `
${aclGuard([["DEL", "index_key"], ["DEL", "session_prefix"], ["MGET", "session_prefix"]])}
local ids, failed = on_index(index_key, session_prefix, user_id, 'ZRANGE', index_key, 0, -1)
if failed then return failed end
if #ids == 0 then return 0 end
local values, doomed, n = mget(session_prefix, ids), {index_key}, 1
for i = 1, #ids do
  local value = values[i]
  if value and value ~= '' then
    local owner = owner_of(value)
    if owner == nil or owner == user_id then
      n = n + 1
      doomed[n] = session_prefix .. ids[i]
    end
  end
end
chunked(redis.call, 'DEL', nil, doomed, n)
return n - 1
`,
});

/**
 * updateSession (Lucia v2): a compare-and-set.
 *
 * Writes the new value only if the key still holds the value read (the caller merged its fields
 * into that one), with the new expiry, and gives the index entry the new score, making the index
 * expire no earlier than the session. Returns `{1}` when written, or `{0, value}` with what the key
 * holds now (nil: the session was deleted meanwhile, and stays deleted) for the caller to merge
 * into again; a failure reply (nothing written) when a key holds another type or a command is
 * refused.
 *
 * @internal
 */
export const UPDATE_SESSION = defineScript({
  name: "updateSession",
  keys: ["session_key", "index_key"],
  args: ["read", "json", "expires_at", "id", "session_prefix", "user_id"],
  uses: [onIndex, failure, rare],
  commands: ["GET", "ZADD", "SET", "PEXPIREAT", "ZCARD"],
  body: `
local current = redis.pcall('GET', session_key)
if type(current) == 'table' then return failure(session_key, current, 'GET') end
if current ~= read then return {0, current} end
${aclGuard([["SET", "session_key"], ...extendChecks("index_key")])}
local _, failed = on_index(index_key, session_prefix, user_id, 'ZADD', index_key, expires_at, id)
if failed then return failed end
redis.call('SET', session_key, json, 'PXAT', expires_at)
${extendExpiry("index_key", "expires_at", "rare()")}
return {1}
`,
});

/** The single server's scripts. @internal */
export const SCRIPTS = [
  SET_SESSION,
  DELETE_SESSION,
  DELETE_SESSIONS_BY_USER_ID,
  UPDATE_SESSION,
] as const;
