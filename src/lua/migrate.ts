/**
 * The scripts of `migrate`. Each one is a single atomic step on one key (and, on a single server,
 * the session keys its index names, as the adapter's own scripts do), deciding from what it reads
 * there and then, so a step interleaves safely with the application's own operations and a second
 * run finds nothing left to do. They follow the conventions of `lua/helpers.ts` (all checks before the
 * first write, Redis's own clock, never re-encoding a stored session), and the legacy conversion is
 * the adapter's own (`rare().convert`). `core/migrate_rules.ts` holds the same decisions in TypeScript,
 * for `--dry-run`.
 *
 * @module
 */
import { MAX_TIME } from "../core/util.ts";
import { defineScript, helper } from "./define.ts";
import { aclGuard, chunked, idleOf, mget, nowMs, ownerOf, rare } from "./helpers.ts";
import { MIGRATE_BACK_SCRIPTS } from "./migrate_back.ts";

/**
 * Pass 1, session keys. KEYS: the session keys (one on a cluster; a small group on a single
 * server, to spare round trips). No ARGV.
 *
 * For each key: leaves alone a key that is missing, holds no string, a tombstone (`""`), or a
 * value that is not a session (no string `user_id`, or an `idle_expires` that is not a time
 * Lucia can hold: `ownerOf` and `idleOf` in `model.ts`). Otherwise deletes it when its idle
 * expiry has passed (Lucia would only delete it on sight); else makes it expire exactly then,
 * rounded up to the millisecond (the earlier adapters set ~54 years, or a whole second early).
 * Returns one code per key: 0 (already right), 1 (expiry set), 2 (deleted) or 3 (left alone).
 */
const SESSION_FIX = defineScript({
  name: "sessionFix",
  keys: [],
  restKeys: "session_keys",
  args: [],
  uses: [ownerOf, idleOf, nowMs],
  commands: ["GET", "DEL", "PEXPIRETIME", "PTTL", "PEXPIREAT"],
  body: `
local now = now_ms()
local function fix(key)
  local value = redis.pcall('GET', key)
  if type(value) ~= 'string' or value == '' or owner_of(value) == nil then return 3 end
  local idle = idle_of(value)
  if not idle then return 3 end
  if idle <= now then
    redis.call('DEL', key)
    return 2
  end
  local at = redis.pcall('PEXPIRETIME', key)
  if type(at) == 'number' then
    if at == idle then return 0 end
  else
    -- Redis < 7.0: the expiry is known to a millisecond either way.
    local ttl = redis.call('PTTL', key)
    if ttl >= 0 and math.abs(now + ttl - idle) <= 1 then return 0 end
  end
  redis.call('PEXPIREAT', key, string.format('%d', idle))
  return 1
end
local codes = {}
for i, key in ipairs(session_keys) do codes[i] = fix(key) end
return codes
`,
});

/** `fix_expiry(index)`: gives a sorted-set index without an expiry its latest score as one. */
const fixExpiry = helper(
  "fix_expiry",
  [],
  ["PTTL", "ZRANGE", "PEXPIREAT"],
  `
local function fix_expiry(index)
  if redis.call('PTTL', index) ~= -1 then return 0 end
  local last = tonumber(redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')[2])
  if not (last and last > 0 and last <= ${MAX_TIME}) then return 0 end
  redis.call('PEXPIREAT', index, string.format('%d', math.ceil(last)))
  return 1
end`,
);

/** `existing(prefix, ids)`: how many of the keys `prefix .. id` exist, in chunks. */
const existing = helper(
  "existing",
  [mget],
  [],
  `
local function existing(prefix, ids)
  local n, values = 0, mget(prefix, ids)
  for i = 1, #ids do if values[i] then n = n + 1 end end
  return n
end`,
);

/**
 * `clean_index(index, prefix, user)`: drops from a sorted-set index the ids whose idle expiry has
 * passed, whose session is gone or a tombstone, or whose session is another user's (a value whose
 * owner cannot be read keeps its entry, as the conversion keeps it). Returns how many it dropped.
 * Only on a single server, where every login writes its session and its entry in one script.
 */
const cleanIndex = helper(
  "clean_index",
  [nowMs, mget, ownerOf, chunked],
  ["ZREMRANGEBYSCORE", "ZRANGE", "ZREM"],
  `
local function clean_index(index, prefix, user)
  local dropped = redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. string.format('%d', now_ms()))
  local ids = redis.call('ZRANGE', index, 0, -1)
  local values, gone = mget(prefix, ids), {}
  for i = 1, #ids do
    local value = values[i]
    if not value or value == '' then
      gone[#gone + 1] = ids[i]
    else
      local owner = owner_of(value)
      if owner and owner ~= user then gone[#gone + 1] = ids[i] end
    end
  end
  chunked(redis.call, 'ZREM', index, gone, #gone)
  return dropped + #gone
end`,
);

/**
 * Pass 2 on a single server, a small group of indexes. KEYS: the index keys. ARGV: session key
 * prefix, index key prefix (a user's id is the rest of the index key).
 *
 * A LIST (1.x) or SET (2.x) is converted by the adapter's own conversion. A sorted set loses the
 * ids whose idle expiry has passed, whose session is gone or a tombstone, or whose session is
 * another user's (on one server every login writes its session and its entry in one script, so
 * an entry without a session is never a login in flight); a value whose owner cannot be read
 * keeps its entry, as the conversion keeps it. An index left without an expiry gets its latest
 * score. Returns four numbers per key, `converted, dropped, deleted, expiry`: 1 when a legacy
 * index was converted, the entries dropped, the (dead) sessions the conversion deleted, 1 when
 * the index was given an expiry.
 */
const INDEX_FIX = defineScript({
  name: "indexFix",
  keys: [],
  restKeys: "index_keys",
  args: ["session_prefix", "index_prefix"],
  uses: [rare, cleanIndex, fixExpiry, existing],
  commands: ["TYPE", "LRANGE", "SMEMBERS", "ZCARD"],
  body: `
local function fix(index, prefix, user)
  local kind = redis.call('TYPE', index)['ok']
  if kind == 'list' or kind == 'set' then
    local ids = kind == 'list' and redis.call('LRANGE', index, 0, -1) or redis.call('SMEMBERS', index)
    local before = existing(prefix, ids)
    rare().convert(index, prefix, user)
    return 1, #ids - redis.call('ZCARD', index), before - existing(prefix, ids), 0
  end
  if kind ~= 'zset' then return 0, 0, 0, 0 end
  return 0, clean_index(index, prefix, user), 0, fix_expiry(index)
end
local out = {}
for _, index in ipairs(index_keys) do
  local a, b, c, d = fix(index, session_prefix, string.sub(index, #index_prefix + 1))
  out[#out + 1] = a
  out[#out + 1] = b
  out[#out + 1] = c
  out[#out + 1] = d
end
return out
`,
});

/**
 * The merge pass on a single server (`--merge-user-session-namespace`), a small group of indexes
 * of the other namespace. KEYS: those index keys. ARGV: session key prefix, their index key
 * prefix, the target's index key prefix (a user's id is the rest of the key).
 *
 * For each: converts it (a 1.x LIST, a 2.x SET) to the sorted set by the adapter's own conversion,
 * and the target index of the same user too if it is still a legacy one; moves its entries into
 * the target (`ZUNIONSTORE … AGGREGATE MAX`: an id in both keeps its later score), deletes it, and
 * cleans the target as pass 2 does (`clean_index`), giving it its latest score as its expiry. So
 * every live session listed in either index is in the target in the same step that deletes the
 * other. A key of another type, or a target of another type, is left alone. Returns 1 per key
 * merged, else 0.
 */
const MERGE_INDEX = defineScript({
  name: "mergeIndex",
  keys: [],
  restKeys: "index_keys",
  args: ["session_prefix", "index_prefix", "target_prefix"],
  uses: [rare, cleanIndex, fixExpiry],
  commands: ["TYPE", "ZUNIONSTORE", "DEL"],
  body: `
${
    aclGuard(
      [
        ...["ZUNIONSTORE", "DEL", "ZADD", "PEXPIREAT", "ZREM", "ZREMRANGEBYSCORE"].map((
          c,
        ) => [c, "target_prefix"] as const),
        ["ZUNIONSTORE", "index_prefix"],
        ["DEL", "index_prefix"],
        ["ZADD", "index_prefix"],
        ["DEL", "session_prefix"],
        ["PEXPIREAT", "session_prefix"],
      ],
    )
  }
local legacy = { list = true, set = true, zset = true }
local out = {}
for i, index in ipairs(index_keys) do
  local user = string.sub(index, #index_prefix + 1)
  local target = target_prefix .. user
  local target_kind = redis.call('TYPE', target)['ok']
  out[i] = 0
  if legacy[redis.call('TYPE', index)['ok']] and (legacy[target_kind] or target_kind == 'none') then
    local ok, failed = rare().convert(index, session_prefix, user)
    if not ok then return failed end
    ok, failed = rare().convert(target, session_prefix, user)
    if not ok then return failed end
    redis.call('ZUNIONSTORE', target, 2, target, index, 'AGGREGATE', 'MAX')
    redis.call('DEL', index)
    clean_index(target, session_prefix, user)
    fix_expiry(target)
    out[i] = 1
  end
end
return out
`,
});

/**
 * The merge pass on a Redis Cluster, the target's step. KEYS: the target index. ARGV: score and
 * id pairs, the entries of the other namespace's index worth keeping. Adds them (`ZADD GT`: an id
 * in both keeps its later score) and moves the index's expiry to its latest score if that is
 * later. Returns 1, or -1 when the target holds another type than a sorted set (nothing written).
 */
const CLUSTER_MERGE_ADD = defineScript({
  name: "clusterMergeAdd",
  keys: ["index_key"],
  args: [],
  restArgs: "pairs",
  uses: [chunked, nowMs],
  commands: ["TYPE", "ZADD", "PTTL", "PEXPIREAT"],
  body: `
${aclGuard([["ZADD", "index_key"], ["PEXPIREAT", "index_key"]])}
local kind = redis.call('TYPE', index_key)['ok']
if kind ~= 'zset' and kind ~= 'none' then return -1 end
if #pairs == 0 then return 1 end
local last = 0
for i = 1, #pairs, 2 do
  local score = tonumber(pairs[i])
  if score > last then last = score end
end
-- ZADD GT, in chunks of an even size (pairs stay whole).
local function zadd_gt(command, key, ...) return redis.call(command, key, 'GT', ...) end
chunked(zadd_gt, 'ZADD', index_key, pairs, #pairs)
local ttl = redis.call('PTTL', index_key)
if ttl < 0 or now_ms() + ttl < last then
  redis.call('PEXPIREAT', index_key, string.format('%d', math.ceil(last)))
end
return 1
`,
});

/**
 * The merge pass on a Redis Cluster, the other namespace's step. KEYS: its index. ARGV: the
 * number n of entries read, then n id and score pairs as read. Deletes the index if it is still
 * exactly what was read (its entries are in the target by then); else returns 0 and changes
 * nothing (the caller reads it again). Returns 1 when deleted.
 */
const CLUSTER_MERGE_DROP = defineScript({
  name: "clusterMergeDrop",
  keys: ["index_key"],
  args: ["count"],
  restArgs: "read",
  uses: [],
  commands: ["TYPE", "ZRANGE", "DEL"],
  body: `
${aclGuard([["DEL", "index_key"]])}
if redis.call('TYPE', index_key)['ok'] ~= 'zset' then return 0 end
local now = redis.call('ZRANGE', index_key, 0, -1, 'WITHSCORES')
if #now ~= 2 * tonumber(count) then return 0 end
for i = 1, #now, 2 do
  if now[i] ~= read[i] or tonumber(now[i + 1]) ~= tonumber(read[i + 1]) then return 0 end
end
redis.call('DEL', index_key)
return 1
`,
});

/**
 * Pass 2 on a Redis Cluster, one sorted-set index (legacy ones go through `store/cluster_legacy.ts`, the
 * adapter's own cluster conversion). KEYS: the index key. ARGV: ids the caller found to be
 * tombstones or another user's. Drops those and every id whose idle expiry has passed, never an
 * id only because its session key is missing (a login in flight writes its entry first), and
 * gives an index without an expiry its latest score. Returns `{dropped, expiry}`; `{0, 0}` when
 * the key is no longer a sorted set.
 */
const CLUSTER_INDEX_FIX = defineScript({
  name: "clusterIndexFix",
  keys: ["index_key"],
  args: [],
  restArgs: "ids",
  uses: [nowMs, fixExpiry, chunked],
  commands: ["TYPE", "ZREMRANGEBYSCORE", "ZREM", "ZCARD"],
  body: `
if redis.call('TYPE', index_key)['ok'] ~= 'zset' then return {0, 0} end
local before = redis.call('ZCARD', index_key)
redis.call('ZREMRANGEBYSCORE', index_key, '-inf', '(' .. string.format('%d', now_ms()))
chunked(redis.call, 'ZREM', index_key, ids, #ids)
return {before - redis.call('ZCARD', index_key), fix_expiry(index_key)}
`,
});

/** The scripts of `migrate`, by name. @internal */
export const MIGRATE_SCRIPTS = {
  sessionFix: SESSION_FIX,
  indexFix: INDEX_FIX,
  clusterIndexFix: CLUSTER_INDEX_FIX,
  mergeIndex: MERGE_INDEX,
  clusterMergeAdd: CLUSTER_MERGE_ADD,
  clusterMergeDrop: CLUSTER_MERGE_DROP,
  ...MIGRATE_BACK_SCRIPTS,
} as const;
