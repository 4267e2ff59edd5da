/**
 * The scripts of `migrate --to 2.1.2`: back to the data model of
 * `@lucia-auth/adapter-session-redis` 2.1.2, whose index is a plain SET of session ids
 * (`SADD`/`SMEMBERS`/`SREM`, never an expiry) and whose sessions are the JSON this adapter also
 * writes. Each script is one atomic step that decides from what it reads there and then, and
 * follows the conventions of `lua/helpers.ts` (checks, the ACL among them, before the first write;
 * Redis's own clock; a stored session never decoded whole; `unpack` only through the chunked
 * helpers). `core/migrate_back_rules.ts` holds the same decisions in TypeScript, for `--dry-run`.
 *
 * @module
 */
import { defineScript, helper } from "./define.ts";
import { aclGuard, chunked, idleOf, mget, nowMs, ownerOf } from "./helpers.ts";

/**
 * `live_of(value, user, now)`: true when a stored value is a live session of `user`: a string
 * whose owner reads as `user` and whose idle expiry reads as a time after `now`. Only these go
 * into 2.1.2's set (it would `JSON.parse` a tombstone or junk, and fail the user's whole list).
 * `isLiveOf` in `core/migrate_back_rules.ts` is the same rule.
 */
const liveOf = helper(
  "live_of",
  [ownerOf, idleOf],
  [],
  `
local function live_of(value, user, now)
  if type(value) ~= 'string' or value == '' or owner_of(value) ~= user then return false end
  local idle = idle_of(value)
  return idle ~= nil and idle > now
end`,
);

/**
 * A group of indexes, on a single server. KEYS: the index keys. ARGV: session key prefix, index
 * key prefix (a user's id is the rest of the index key).
 *
 * A sorted set (this adapter's) or a LIST (1.x's) becomes a SET of the ids of its user's live
 * sessions (`live_of`), without an expiry (2.1.2 never sets one, and its `SADD` would not move
 * it: a login that outlived it would fall out of the index); an index left with none is deleted.
 * A SET (2.1.2's own, or converted already) only loses an expiry if it has one. Other types are
 * left alone. Returns three numbers per key, `converted, left_out, persisted`: 1 when the index
 * was converted, the distinct ids not carried over, 1 when a set lost its expiry.
 */
const TO_SET = defineScript({
  name: "toSetIndex",
  keys: [],
  restKeys: "index_keys",
  args: ["session_prefix", "index_prefix"],
  uses: [mget, chunked, nowMs, liveOf],
  commands: ["TYPE", "PTTL", "PERSIST", "ZRANGE", "LRANGE", "DEL", "SADD"],
  body: `
local now = now_ms()
local function fix(index, user)
  local kind = redis.call('TYPE', index)['ok']
  if kind == 'set' then
    if redis.call('PTTL', index) == -1 then return 0, 0, 0 end
    redis.call('PERSIST', index)
    return 0, 0, 1
  end
  if kind ~= 'zset' and kind ~= 'list' then return 0, 0, 0 end
  local listed = kind == 'zset' and redis.call('ZRANGE', index, 0, -1) or redis.call('LRANGE', index, 0, -1)
  local ids, seen = {}, {}
  for _, id in ipairs(listed) do
    if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
  end
  local values, live = mget(session_prefix, ids), {}
  for i = 1, #ids do
    if live_of(values[i], user, now) then live[#live + 1] = ids[i] end
  end
  redis.call('DEL', index)
  chunked(redis.call, 'SADD', index, live, #live)
  return 1, #ids - #live, 0
end
for _, index in ipairs(index_keys) do
  ${aclGuard([["DEL", "index"], ["SADD", "index"], ["PERSIST", "index"]])}
end
local out = {}
for _, index in ipairs(index_keys) do
  local a, b, c = fix(index, string.sub(index, #index_prefix + 1))
  out[#out + 1] = a
  out[#out + 1] = b
  out[#out + 1] = c
end
return out
`,
});

/**
 * A group of session keys, on a single server, after the indexes are sets. KEYS: the session
 * keys. ARGV: index key prefix. Adds each live session (`live_of` its own owner) to its owner's
 * set when it is missing there: a login that 2.1.2 half wrote (its `SET` landed, its `SADD` met
 * this adapter's sorted set and failed) is then found by sign-out everywhere. An owner whose
 * index is of another type (this adapter rewrote it meanwhile) is left for a second run. Returns
 * one code per key: 0 (nothing to do), 1 (added to the set), 2 (its index is not a set).
 */
const INDEX_SESSIONS = defineScript({
  name: "indexSessionsInSets",
  keys: [],
  restKeys: "session_keys",
  args: ["session_prefix", "index_prefix"],
  uses: [nowMs, ownerOf, liveOf],
  commands: ["GET", "TYPE", "SADD"],
  body: `
${aclGuard([["SADD", "index_prefix"]])}
local now = now_ms()
local codes = {}
for i, key in ipairs(session_keys) do
  local value = redis.pcall('GET', key)
  local owner = type(value) == 'string' and value ~= '' and owner_of(value)
  codes[i] = 0
  if owner and live_of(value, owner, now) then
    local index = index_prefix .. owner
    local kind = redis.call('TYPE', index)['ok']
    if kind == 'set' or kind == 'none' then
      codes[i] = redis.call('SADD', index, string.sub(key, #session_prefix + 1))
    else
      codes[i] = 2
    end
  end
end
return codes
`,
});

/**
 * One index on a Redis Cluster (where a script cannot reach the sessions, in other slots).
 * KEYS: the index key. ARGV: its type as read (`zset` or `list`), the number n of ids read, those
 * n ids as read, then the ids of the user's live sessions among them (the caller read the
 * sessions). Replaces the index by the SET of those live ids (none: deletes it) if it still holds
 * exactly what was read; else changes nothing and returns -1 (the caller starts over). Returns 1
 * when replaced.
 */
const CLUSTER_TO_SET = defineScript({
  name: "clusterToSetIndex",
  keys: ["index_key"],
  args: ["kind", "count"],
  restArgs: "rest",
  uses: [chunked],
  commands: ["TYPE", "ZRANGE", "LRANGE", "DEL", "SADD"],
  body: `
${aclGuard([["DEL", "index_key"], ["SADD", "index_key"]])}
if redis.call('TYPE', index_key)['ok'] ~= kind then return -1 end
local n = tonumber(count)
local now = kind == 'zset' and redis.call('ZRANGE', index_key, 0, -1) or redis.call('LRANGE', index_key, 0, -1)
if #now ~= n then return -1 end
for i = 1, n do if now[i] ~= rest[i] then return -1 end end
redis.call('DEL', index_key)
chunked(redis.call, 'SADD', index_key, rest, #rest, n + 1)
return 1
`,
});

/**
 * One set index on a Redis Cluster. KEYS: the index key. ARGV: `persist` (`1`: remove the set's
 * expiry), then ids of live sessions of its user to add. Adds them and removes the expiry only
 * while the key is a set or absent. Returns `{added, persisted}`, or `{-1, 0}` when the key is of
 * another type.
 */
const CLUSTER_SET_ADD = defineScript({
  name: "clusterSetAdd",
  keys: ["index_key"],
  args: ["persist"],
  restArgs: "ids",
  uses: [],
  commands: ["TYPE", "SADD", "PTTL", "PERSIST"],
  body: `
${aclGuard([["SADD", "index_key"], ["PERSIST", "index_key"]])}
local kind = redis.call('TYPE', index_key)['ok']
if kind ~= 'set' and kind ~= 'none' then return {-1, 0} end
local added = 0
for _, id in ipairs(ids) do added = added + redis.call('SADD', index_key, id) end
local persisted = 0
if persist == '1' and redis.call('PTTL', index_key) >= 0 then
  redis.call('PERSIST', index_key)
  persisted = 1
end
return {added, persisted}
`,
});

/** The scripts of `migrate --to 2.1.2`, by name. @internal */
export const MIGRATE_BACK_SCRIPTS = {
  toSetIndex: TO_SET,
  indexSessionsInSets: INDEX_SESSIONS,
  clusterToSetIndex: CLUSTER_TO_SET,
  clusterSetAdd: CLUSTER_SET_ADD,
} as const;
