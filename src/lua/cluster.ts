/**
 * The scripts of the Redis Cluster path. A session key and its user's index hash to different
 * slots, so no script may touch both: each of these touches one key (its `KEYS[1]`), and the
 * cluster store (`store/cluster.ts`) orders them so that every live session stays in its owner's
 * index at every moment. They follow the conventions of `lua/helpers.ts`.
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
  nowMs,
  ownerOf,
  rare,
  tidyDue,
  wrongType,
} from "./helpers.ts";

/**
 * The index side of setSession. KEYS: index key. ARGV: session id, idle expiry (integer ms), cap
 * (0: none), mode (`nx`: add the entry only if absent; `set`: give it this score).
 *
 * Adds the entry, makes the index expire no earlier than this session, and on about one write in
 * eighteen (`tidyDue`; every write under a cap) drops the ids whose idle expiry has passed. Returns `{added, over}`: whether
 * the entry is new, and the user's oldest ids beyond the cap (never this one), for the caller to
 * sign out. A failure reply (nothing written) when the index holds another type: a legacy list
 * or set is then converted by the caller, and the call made again.
 */
const INDEX_ADD = defineScript({
  name: "indexAdd",
  keys: ["index_key"],
  args: ["id", "expires_at", "cap", "mode"],
  uses: [failure, rare],
  commands: ["ZADD", "PEXPIREAT", "ZCARD"],
  lazy: true,
  body: `
local due = ${tidyDue("id", "cap")}
${aclGuard(extendChecks("index_key"))}
if due then
  ${aclGuard([["ZREMRANGEBYSCORE", "index_key"], ["ZRANGE", "index_key"]])}
end
local added
if mode == 'nx' then
  added = redis.pcall('ZADD', index_key, 'NX', expires_at, id)
else
  added = redis.pcall('ZADD', index_key, expires_at, id)
end
if type(added) == 'table' then return need().failure(index_key, added, 'ZADD') end
${extendExpiry("index_key", "expires_at")}
local over = {}
if due then
  local lib = need().rare()
  lib.prune(index_key)
  over = lib.beyond_cap(index_key, tonumber(cap), id)
end
return {added, over}
`,
});

/**
 * Takes back the entry a setSession added, after its `SET … NX` was refused. KEYS: index key.
 * ARGV: session id, the score that setSession gave it. Removes the entry only while it still has
 * that score: a writer of the same id for the same user that won the `SET` rescores the entry
 * with its own expiry, and its entry must stay. Returns 1 when removed.
 */
const INDEX_UNDO = defineScript({
  name: "indexUndo",
  keys: ["index_key"],
  args: ["id", "score"],
  uses: [],
  commands: ["ZSCORE", "ZREM"],
  body: `
${aclGuard([["ZSCORE", "index_key"], ["ZREM", "index_key"]])}
local current = redis.pcall('ZSCORE', index_key, id)
if type(current) == 'string' and tonumber(current) == tonumber(score) then
  redis.call('ZREM', index_key, id)
  return 1
end
return 0
`,
});

/**
 * Drops ids from an index: those given (their session is gone, a tombstone, another user's, or
 * signed out), and every id whose idle expiry has passed. KEYS: index key. ARGV: the ids. Never
 * drops an id only because its session key is missing: that may be a login in flight (its entry
 * written, its session not yet). A failure reply when the index holds another type.
 */
const INDEX_DROP = defineScript({
  name: "indexDrop",
  keys: ["index_key"],
  args: [],
  restArgs: "ids",
  uses: [chunked, nowMs, wrongType],
  commands: ["TYPE", "ZREMRANGEBYSCORE", "ZREM"],
  body: `
${
    aclGuard([["TYPE", "index_key"], ["TIME", "index_key"], ["ZREMRANGEBYSCORE", "index_key"], [
      "ZREM",
      "index_key",
    ]])
  }
local kind = redis.call('TYPE', index_key)['ok']
if kind == 'none' then return 0 end
if kind ~= 'zset' then return wrong_type(index_key) end
redis.call('ZREMRANGEBYSCORE', index_key, '-inf', '(' .. string.format('%d', now_ms()))
chunked(redis.call, 'ZREM', index_key, ids, #ids)
return 1
`,
});

/**
 * Replaces a legacy index (a LIST from 1.x, a SET from 2.x) by the sorted set the caller worked
 * out, if the legacy index is still exactly what the caller read. KEYS: index key. ARGV: its
 * type (`list` or `set`), the number n of ids read, the n ids as read, then score and id pairs.
 * Returns 1 when replaced, 0 when the index changed meanwhile (the caller starts over).
 */
const INDEX_REPLACE = defineScript({
  name: "indexReplace",
  keys: ["index_key"],
  args: ["kind", "count"],
  restArgs: "rest",
  uses: [chunked],
  commands: ["TYPE", "LRANGE", "SMEMBERS", "DEL", "ZADD", "PEXPIREAT"],
  body: `
${
    aclGuard(
      ["TYPE", "LRANGE", "SMEMBERS", "DEL", "ZADD", "PEXPIREAT"].map((c) => [c, "index_key"]),
    )
  }
local current = redis.call('TYPE', index_key)['ok']
if current ~= kind then return 0 end
local n = tonumber(count)
local now = kind == 'list' and redis.call('LRANGE', index_key, 0, -1) or redis.call('SMEMBERS', index_key)
if #now ~= n then return 0 end
if kind == 'list' then
  for i = 1, n do if now[i] ~= rest[i] then return 0 end end
else
  local read = {}
  for i = 1, n do read[rest[i]] = true end
  for i = 1, n do if not read[now[i]] then return 0 end end
end
redis.call('DEL', index_key)
local entries, last = {}, 0
for i = n + 1, #rest, 2 do
  entries[#entries + 1] = rest[i]
  entries[#entries + 1] = rest[i + 1]
  if tonumber(rest[i]) > last then last = tonumber(rest[i]) end
end
chunked(redis.call, 'ZADD', index_key, entries, #entries)
if last > 0 then redis.call('PEXPIREAT', index_key, string.format('%d', last)) end
return 1
`,
});

/**
 * deleteSession's session side. KEYS: session key. ARGV: an owner, or `''` for any. Deletes the
 * session (when it is the owner's) and returns `{deleted, value}`; a tombstone is left in place
 * (it stands for a sign-out still under way). A failure reply when the key holds no string.
 */
const SESSION_DELETE = defineScript({
  name: "sessionDelete",
  keys: ["session_key"],
  args: ["owner"],
  uses: [failure, ownerOf],
  commands: ["GET", "DEL"],
  body: `
local value = redis.pcall('GET', session_key)
if type(value) == 'table' then return failure(session_key, value, 'GET') end
if not value then return {0, false} end
if value == '' then return {0, value} end
if owner ~= '' then
  local stored = owner_of(value)
  if stored ~= nil and stored ~= owner then return {0, value} end
end
redis.call('DEL', session_key)
return {1, value}
`,
});

/**
 * deleteSessionsByUserId's session side, for one listed id. KEYS: session key. ARGV: user id,
 * the id's score in the index (its idle expiry). The user's session is overwritten with a
 * tombstone that expires at that score; a missing key (a login in flight, whose `SET … NX` has
 * not landed yet) gets one too, so that login's `SET` fails rather than bring the session back;
 * another user's session and a tombstone are left alone. Returns 1 (signed out), 2 (tombstone on
 * a missing key) or 0; a failure reply when the key holds no string.
 */
const SESSION_REVOKE = defineScript({
  name: "sessionRevoke",
  keys: ["session_key"],
  args: ["user_id", "score"],
  uses: [failure, ownerOf, nowMs],
  commands: ["GET", "DEL", "SET"],
  body: `
local value = redis.pcall('GET', session_key)
if type(value) == 'table' then return failure(session_key, value, 'GET') end
if value == '' then return 0 end
if value then
  local owner = owner_of(value)
  if owner ~= nil and owner ~= user_id then return 0 end
end
${aclGuard([["TIME", "session_key"], ["DEL", "session_key"], ["SET", "session_key"]])}
if tonumber(score) <= now_ms() then
  if value then redis.call('DEL', session_key) return 1 end
  return 0
end
if value then
  redis.call('SET', session_key, '', 'PXAT', score)
  return 1
end
redis.call('SET', session_key, '', 'PXAT', score, 'NX')
return 2
`,
});

/**
 * Gives a legacy session key its idle expiry, if it still holds what the caller read. KEYS:
 * session key. ARGV: the value read, the expiry (integer ms; `0`: delete it, it is dead).
 * Returns 1 when done, 0 when the value changed meanwhile.
 */
const SESSION_EXPIRE = defineScript({
  name: "sessionExpire",
  keys: ["session_key"],
  args: ["read", "at"],
  uses: [],
  commands: ["GET", "DEL", "PEXPIREAT"],
  body: `
${aclGuard([["GET", "session_key"], ["DEL", "session_key"], ["PEXPIREAT", "session_key"]])}
if redis.pcall('GET', session_key) ~= read then return 0 end
if at == '0' then redis.call('DEL', session_key) else redis.call('PEXPIREAT', session_key, at) end
return 1
`,
});

/**
 * updateSession's session side: a compare-and-set. KEYS: session key. ARGV: the value read, the
 * new value, its idle expiry. Returns `{1}` when written, or `{0, value}` with what the key holds
 * now (nil when the session was deleted meanwhile: it stays deleted).
 */
const SESSION_UPDATE = defineScript({
  name: "sessionUpdate",
  keys: ["session_key"],
  args: ["read", "json", "expires_at"],
  uses: [failure],
  commands: ["GET", "SET"],
  body: `
local current = redis.pcall('GET', session_key)
if type(current) == 'table' then return failure(session_key, current, 'GET') end
if current ~= read then return {0, current} end
${aclGuard([["SET", "session_key"]])}
redis.call('SET', session_key, json, 'PXAT', expires_at)
return {1}
`,
});

/**
 * updateSession's index side. KEYS: index key. ARGV: session id, new score, old score. Gives the
 * entry the new score when it is missing or the new score is later; a lower score only while the
 * entry still has the old one (an update that raised it meanwhile keeps its score), so that an
 * entry never expires before its session. The index expires no earlier than the new score.
 */
const INDEX_RESCORE = defineScript({
  name: "indexRescore",
  keys: ["index_key"],
  args: ["id", "score", "before"],
  uses: [failure, rare],
  commands: ["ZSCORE", "ZADD", "PEXPIREAT", "ZCARD"],
  body: `
local current = redis.pcall('ZSCORE', index_key, id)
if type(current) == 'table' then return failure(index_key, current, 'ZSCORE') end
${aclGuard([["ZADD", "index_key"], ...extendChecks("index_key")])}
current = tonumber(current)
if not current or tonumber(score) > current or current == tonumber(before) then
  redis.call('ZADD', index_key, score, id)
end
${extendExpiry("index_key", "score", "rare()")}
return 1
`,
});

/** The cluster path's scripts by name. @internal */
export const CLUSTER_SCRIPTS = {
  indexAdd: INDEX_ADD,
  indexUndo: INDEX_UNDO,
  indexDrop: INDEX_DROP,
  indexReplace: INDEX_REPLACE,
  sessionDelete: SESSION_DELETE,
  sessionRevoke: SESSION_REVOKE,
  sessionExpire: SESSION_EXPIRE,
  sessionUpdate: SESSION_UPDATE,
  indexRescore: INDEX_RESCORE,
} as const;
