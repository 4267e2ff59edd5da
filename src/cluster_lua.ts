/**
 * The scripts of the Redis Cluster path. A session key and its user's index hash to different
 * slots, so no script may touch both: each of these touches one key (its `KEYS[1]`), and the
 * cluster store (`cluster_store.ts`) orders them so that every live session stays in its owner's
 * index at every moment. They follow the conventions of `lua_lib.ts`.
 *
 * @module
 */
import { COMMON, extendExpiry, lazyScript, script, tidyDue } from "./lua_lib.ts";

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
const INDEX_ADD = lazyScript(
  COMMON,
  `
local added
if ARGV[4] == 'nx' then
  added = redis.pcall('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
else
  added = redis.pcall('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
if type(added) == 'table' then return need().failure(KEYS[1], added) end
${extendExpiry("KEYS[1]", "ARGV[2]")}
local over = {}
if ${tidyDue("ARGV[1]", "ARGV[3]")} then
  local rare = need().rare()
  rare.prune(KEYS[1])
  over = rare.beyond_cap(KEYS[1], tonumber(ARGV[3]), ARGV[1])
end
return {added, over}
`,
);

/**
 * Takes back the entry a setSession added, after its `SET … NX` was refused. KEYS: index key.
 * ARGV: session id, the score that setSession gave it. Removes the entry only while it still has
 * that score: a writer of the same id for the same user that won the `SET` rescores the entry
 * with its own expiry, and its entry must stay. Returns 1 when removed.
 */
const INDEX_UNDO = script(
  [],
  `
local score = redis.pcall('ZSCORE', KEYS[1], ARGV[1])
if type(score) == 'string' and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
`,
);

/**
 * Drops ids from an index: those given (their session is gone, a tombstone, another user's, or
 * signed out), and every id whose idle expiry has passed. KEYS: index key. ARGV: the ids. Never
 * drops an id only because its session key is missing: that may be a login in flight (its entry
 * written, its session not yet). A failure reply when the index holds another type.
 */
const INDEX_DROP = script(
  COMMON,
  `
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then return 0 end
if kind ~= 'zset' then
  return failure(KEYS[1], {err = 'WRONGTYPE Operation against a key holding the wrong kind of value'})
end
rare().prune(KEYS[1])
chunked(redis.call, 'ZREM', KEYS[1], ARGV, #ARGV)
return 1
`,
);

/**
 * Replaces a legacy index (a LIST from 1.x, a SET from 2.x) by the sorted set the caller worked
 * out, if the legacy index is still exactly what the caller read. KEYS: index key. ARGV: its
 * type (`list` or `set`), the number n of ids read, the n ids as read, then score and id pairs.
 * Returns 1 when replaced, 0 when the index changed meanwhile (the caller starts over).
 */
const INDEX_REPLACE = script(
  ["chunked"],
  `
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[2])
local now = kind == 'list' and redis.call('LRANGE', KEYS[1], 0, -1) or redis.call('SMEMBERS', KEYS[1])
if #now ~= n then return 0 end
if kind == 'list' then
  for i = 1, n do if now[i] ~= ARGV[2 + i] then return 0 end end
else
  local read = {}
  for i = 1, n do read[ARGV[2 + i]] = true end
  for i = 1, n do if not read[now[i]] then return 0 end end
end
redis.call('DEL', KEYS[1])
local entries, last = {}, 0
for i = 3 + n, #ARGV, 2 do
  entries[#entries + 1] = ARGV[i]
  entries[#entries + 1] = ARGV[i + 1]
  if tonumber(ARGV[i]) > last then last = tonumber(ARGV[i]) end
end
chunked(redis.call, 'ZADD', KEYS[1], entries, #entries)
if last > 0 then redis.call('PEXPIREAT', KEYS[1], string.format('%d', last)) end
return 1
`,
);

/**
 * deleteSession's session side. KEYS: session key. ARGV: an owner, or `''` for any. Deletes the
 * session (when it is the owner's) and returns `{deleted, value}`; a tombstone is left in place
 * (it stands for a sign-out still under way). A failure reply when the key holds no string.
 */
const SESSION_DELETE = script(
  COMMON,
  `
local value = redis.pcall('GET', KEYS[1])
if type(value) == 'table' then return failure(KEYS[1], value) end
if not value then return {0, false} end
if value == '' or (ARGV[1] ~= '' and owner_of(value) ~= ARGV[1]) then return {0, value} end
redis.call('DEL', KEYS[1])
return {1, value}
`,
);

/**
 * deleteSessionsByUserId's session side, for one listed id. KEYS: session key. ARGV: user id,
 * the id's score in the index (its idle expiry). The user's session is overwritten with a
 * tombstone that expires at that score; a missing key (a login in flight, whose `SET … NX` has
 * not landed yet) gets one too, so that login's `SET` fails rather than bring the session back;
 * another user's session and a tombstone are left alone. Returns 1 (signed out), 2 (tombstone on
 * a missing key) or 0; a failure reply when the key holds no string.
 */
const SESSION_REVOKE = script(
  COMMON,
  `
local value = redis.pcall('GET', KEYS[1])
if type(value) == 'table' then return failure(KEYS[1], value) end
if value == '' or (value and owner_of(value) ~= ARGV[1]) then return 0 end
if tonumber(ARGV[2]) <= rare().now_ms() then
  if value then redis.call('DEL', KEYS[1]) return 1 end
  return 0
end
if value then
  redis.call('SET', KEYS[1], '', 'PXAT', ARGV[2])
  return 1
end
redis.call('SET', KEYS[1], '', 'PXAT', ARGV[2], 'NX')
return 2
`,
);

/**
 * Gives a legacy session key its idle expiry, if it still holds what the caller read. KEYS:
 * session key. ARGV: the value read, the expiry (integer ms; `0`: delete it, it is dead).
 * Returns 1 when done, 0 when the value changed meanwhile.
 */
const SESSION_EXPIRE = script(
  [],
  `
if redis.pcall('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return 1
`,
);

/**
 * updateSession's session side: a compare-and-set. KEYS: session key. ARGV: the value read, the
 * new value, its idle expiry. Returns `{1}` when written, or `{0, value}` with what the key holds
 * now (nil when the session was deleted meanwhile: it stays deleted).
 */
const SESSION_UPDATE = script(
  ["failure"],
  `
local current = redis.pcall('GET', KEYS[1])
if type(current) == 'table' then return failure(KEYS[1], current) end
if current ~= ARGV[1] then return {0, current} end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return {1}
`,
);

/**
 * updateSession's index side. KEYS: index key. ARGV: session id, new score, old score. Gives the
 * entry the new score when it is missing or the new score is later; a lower score only while the
 * entry still has the old one (an update that raised it meanwhile keeps its score), so that an
 * entry never expires before its session. The index expires no earlier than the new score.
 */
const INDEX_RESCORE = script(
  COMMON,
  `
local score = redis.pcall('ZSCORE', KEYS[1], ARGV[1])
if type(score) == 'table' then return failure(KEYS[1], score) end
score = tonumber(score)
if not score or tonumber(ARGV[2]) > score or score == tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
${extendExpiry("KEYS[1]", "ARGV[2]", "rare()")}
return 1
`,
);

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
