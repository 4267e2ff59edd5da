/**
 * The scripts of `migrate`. Each one is a single atomic step on one key (and, on a single server,
 * the session keys its index names, as the adapter's own scripts do), deciding from what it reads
 * there and then, so a step interleaves safely with the application's own operations and a second
 * run finds nothing left to do. They follow the conventions of `lua_lib.ts` (all checks before the
 * first write, Redis's own clock, never re-encoding a stored session), and the legacy conversion is
 * the adapter's own (`rare().convert`). `migrate_rules.ts` holds the same decisions in TypeScript,
 * for `--dry-run`.
 *
 * @module
 */
import { MAX_TIME } from "../_util.ts";
import { COMMON, script } from "../lua_lib.ts";

/**
 * Pass 1, session keys. KEYS: the session keys (one on a cluster; a small group on a single
 * server, to spare round trips). No ARGV.
 *
 * For each key: leaves alone a key that is missing, holds no string, a tombstone (`""`), or a
 * value that is not a session (no string `user_id`, or an `idle_expires` that is not a time
 * Lucia can hold). Otherwise deletes it when its idle expiry has passed (Lucia would only delete
 * it on sight); else makes it expire exactly then, rounded up to the millisecond (the earlier
 * adapters set ~54 years, or a whole second early). Returns one code per key: 0 (already right),
 * 1 (expiry set), 2 (deleted) or 3 (left alone).
 */
const SESSION_FIX = script(
  [],
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function fix(key)
  local value = redis.pcall('GET', key)
  if type(value) ~= 'string' or value == '' then return 3 end
  local ok, session = pcall(cjson.decode, value)
  if not ok or type(session) ~= 'table' or type(session['user_id']) ~= 'string' then return 3 end
  local idle = session['idle_expires']
  idle = (type(idle) == 'number' or type(idle) == 'string') and tonumber(idle)
  if not (idle and idle > 0 and idle <= ${MAX_TIME}) then return 3 end
  idle = math.ceil(idle)
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
for i, key in ipairs(KEYS) do codes[i] = fix(key) end
return codes
`,
);

/** Gives a sorted-set index without an expiry its latest score as one (`fix_expiry(index)`). */
const FIX_EXPIRY = `
local function fix_expiry(index)
  if redis.call('PTTL', index) ~= -1 then return 0 end
  local last = tonumber(redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')[2])
  if not (last and last > 0 and last <= ${MAX_TIME}) then return 0 end
  redis.call('PEXPIREAT', index, string.format('%d', math.ceil(last)))
  return 1
end`;

/** Counts the keys `prefix .. id` that exist, in chunks small enough for `unpack`. */
const EXISTING = `
local function existing(prefix, ids)
  local n = 0
  for i = 1, #ids, 1000 do
    local keys = {}
    for j = i, math.min(i + 999, #ids) do keys[#keys + 1] = prefix .. ids[j] end
    n = n + redis.call('EXISTS', unpack(keys))
  end
  return n
end`;

/**
 * Pass 2 on a single server, a small group of indexes. KEYS: the index keys. ARGV: session key
 * prefix, index key prefix (a user's id is the rest of the index key).
 *
 * A LIST (1.x) or SET (2.x) is converted by the adapter's own conversion. A sorted set loses the
 * ids whose idle expiry has passed, whose session is gone or a tombstone, or whose session is
 * another user's (on one server every login writes its session and its entry in one script, so
 * an entry without a session is never a login in flight); a value that is not a session keeps its
 * entry, as the conversion keeps it. An index left without an expiry gets its latest score.
 * Returns four numbers per key, `converted, dropped, deleted, expiry`: 1 when a legacy index was
 * converted, the entries dropped, the (dead) sessions the conversion deleted, 1 when the index
 * was given an expiry.
 */
const INDEX_FIX = script(
  [...COMMON, "mget"],
  FIX_EXPIRY + EXISTING + `
local function fix(index, prefix, user)
  local kind = redis.call('TYPE', index)['ok']
  if kind == 'list' or kind == 'set' then
    local ids = kind == 'list' and redis.call('LRANGE', index, 0, -1) or redis.call('SMEMBERS', index)
    local before = existing(prefix, ids)
    rare().convert(index, prefix, user)
    return 1, #ids - redis.call('ZCARD', index), before - existing(prefix, ids), 0
  end
  if kind ~= 'zset' then return 0, 0, 0, 0 end
  local dropped = redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. string.format('%d', rare().now_ms()))
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
  return 0, dropped + #gone, 0, fix_expiry(index)
end
local out = {}
for _, index in ipairs(KEYS) do
  local a, b, c, d = fix(index, ARGV[1], string.sub(index, #ARGV[2] + 1))
  out[#out + 1] = a
  out[#out + 1] = b
  out[#out + 1] = c
  out[#out + 1] = d
end
return out
`,
);

/**
 * Pass 2 on a Redis Cluster, one sorted-set index (legacy ones go through `legacy.ts`, the
 * adapter's own cluster conversion). KEYS: the index key. ARGV: ids the caller found to be
 * tombstones or another user's. Drops those and every id whose idle expiry has passed, never an
 * id only because its session key is missing (a login in flight writes its entry first), and
 * gives an index without an expiry its latest score. Returns `{dropped, expiry}`; `{0, 0}` when
 * the key is no longer a sorted set.
 */
const CLUSTER_INDEX_FIX = script(
  ["chunked", "rare"],
  FIX_EXPIRY + `
if redis.call('TYPE', KEYS[1])['ok'] ~= 'zset' then return {0, 0} end
local dropped = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', rare().now_ms()))
for i = 1, #ARGV, 1000 do
  dropped = dropped + redis.call('ZREM', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return {dropped, fix_expiry(KEYS[1])}
`,
);

/** The scripts of `migrate`, by name. @internal */
export const MIGRATE_SCRIPTS = {
  sessionFix: SESSION_FIX,
  indexFix: INDEX_FIX,
  clusterIndexFix: CLUSTER_INDEX_FIX,
} as const;
