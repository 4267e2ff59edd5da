/**
 * The Lua shared by the scripts of `lua.ts` (single server) and `cluster_lua.ts` (Redis
 * Cluster): helpers, each compiled into the scripts that use it, and the code for rare paths
 * (legacy data, tidying, Redis < 7.0), instantiated only when one is taken.
 *
 * Conventions every script follows:
 * - **All or nothing.** It reads and checks everything it will touch (key types, numbers,
 *   values) before its first write; after that first write it only runs commands that cannot
 *   fail on what it has checked. Redis does not roll a script back, so a script that raised
 *   half-way would leave its first writes behind; these never do. A problem found while checking
 *   is returned as a failure reply, `{false, key, message}` (`checkReply` in store.ts turns it
 *   into a `RedisOperationError`), and nothing has been written.
 * - **Stored values.** A session is a JSON string that this adapter writes starting with
 *   `{"user_id":`, so a script reads its owner without decoding it (`owner_of`); any other JSON
 *   (data from the earlier adapters, say) is decoded with `cjson`. An empty string is a
 *   *tombstone*: no session, and an id that cannot be taken again until it expires.
 * - **Time** is Redis's own (`TIME`): the clock that expires keys. Integers handed to Redis are
 *   formatted with `%d`: Lua would print 16-digit numbers in exponent form.
 *
 * @module
 */
import { MAX_TIME } from "./_util.ts";

/** Ids handed to Lua's `unpack` at once: it fails at about 8,000 values. */
const CHUNK = 1000;

/**
 * The code for data left by the earlier adapters, and other rare paths. It is compiled with
 * each script but only instantiated (one closure) when a rare path needs it: the common path of
 * every script creates no helper closures.
 *
 * `convert(index, prefix, user)` converts an index left by the earlier adapters (a LIST in
 * 1.x, a SET in 2.x) into the sorted set, in place and all or nothing (every entry is decided
 * before the first write):
 * - the session is gone, or its key holds no string: the entry is dropped;
 * - the session is another user's: the entry is dropped, the session left alone;
 * - a session of this user whose idle_expires has passed: deleted, entry dropped;
 * - one that is still alive: scored by idle_expires, and its key made to expire then (the
 *   earlier adapters set keys to expire ~54 years ahead);
 * - a value that cannot be read as a session, or whose idle_expires is not a time Lucia can
 *   hold (over 8.64e15 ms): kept, scored by its key's own expiry (or the latest time when it has
 *   none), so that signing the user out still finds it.
 * It returns true when the index is a sorted set (or absent) afterwards, false for another type.
 *
 * `prune(index)` drops the ids whose idle expiry has passed; `beyond_cap(index, cap, keep)` lists
 * the user's oldest ids beyond a cap (never `keep`); `tidy(index, prefix, user, cap, keep)` does
 * both and signs those sessions out (owner-checked), on a single server.
 *
 * `extend(index, at)` makes the index expire no earlier than `at` nor than its longest-lived
 * entry: on Redis < 7.0, which has no GT or NX flags for PEXPIREAT, and for an index found with
 * entries but no expiry (none of the adapters leaves one, but a hand or a tool may).
 */
const RARE = `
local function rare()
  local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  local function int(n) return string.format('%d', n) end
  local lib = {}
  function lib.convert(index, prefix, user)
    local kind = redis.call('TYPE', index)['ok']
    if kind == 'zset' or kind == 'none' then return true end
    local ids
    if kind == 'list' then
      ids = redis.call('LRANGE', index, 0, -1)
    elseif kind == 'set' then
      ids = redis.call('SMEMBERS', index)
    else
      return false
    end
    local now = now_ms()
    local entries, expire, dead, seen, last = {}, {}, {}, {}, 0
    for _, id in ipairs(ids) do
      if not seen[id] then
        seen[id] = true
        local key = prefix .. id
        local value = redis.pcall('GET', key)
        if type(value) == 'string' and value ~= '' then
          local ok, session = pcall(cjson.decode, value)
          local owner = ok and type(session) == 'table' and session['user_id']
          if owner == nil or owner == false or owner == user then
            local idle = owner and tonumber(session['idle_expires'])
            local score
            if idle and idle > 0 and idle <= ${MAX_TIME} then
              idle = math.ceil(idle)
              if idle <= now then
                dead[#dead + 1] = key
              else
                score = idle
                expire[#expire + 1] = {key, idle}
              end
            else
              local ttl = redis.call('PTTL', key)
              if ttl > 0 then score = now + ttl elseif ttl == -1 then score = ${MAX_TIME} end
            end
            if score then
              entries[#entries + 1] = score
              entries[#entries + 1] = id
              if score > last then last = score end
            end
          end
        end
      end
    end
    redis.call('DEL', index)
    for i = 1, #entries, ${2 * CHUNK} do
      local chunk = {}
      for j = i, math.min(i + ${2 * CHUNK} - 1, #entries), 2 do
        chunk[#chunk + 1] = int(entries[j])
        chunk[#chunk + 1] = entries[j + 1]
      end
      redis.call('ZADD', index, unpack(chunk))
    end
    for _, pair in ipairs(expire) do redis.call('PEXPIREAT', pair[1], int(pair[2])) end
    chunked(redis.call, 'DEL', nil, dead, #dead)
    if last > 0 then redis.call('PEXPIREAT', index, int(last)) end
    return true
  end
  function lib.extend(index, at)
    local top = tonumber(redis.call('ZREVRANGE', index, 0, 0, 'WITHSCORES')[2] or 0)
    if top > tonumber(at) then at = int(top) end
    local ttl = redis.call('PTTL', index)
    if ttl < 0 or now_ms() + ttl < tonumber(at) then redis.call('PEXPIREAT', index, at) end
  end
  function lib.now_ms() return now_ms() end
  function lib.prune(index)
    redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. int(now_ms()))
  end
  function lib.beyond_cap(index, cap, keep)
    local over, ids = redis.call('ZCARD', index) - cap, {}
    if cap == 0 or over <= 0 then return ids end
    for _, id in ipairs(redis.call('ZRANGE', index, 0, over)) do
      if #ids < over and id ~= keep then ids[#ids + 1] = id end
    end
    return ids
  end
  function lib.tidy(index, prefix, user, cap, keep)
    lib.prune(index)
    for _, id in ipairs(lib.beyond_cap(index, cap, keep)) do
      local key = prefix .. id
      local value = redis.pcall('GET', key)
      if type(value) == 'string' and owner_of(value) == user then redis.call('DEL', key) end
      redis.call('ZREM', index, id)
    end
  end
  return lib
end`;

/** Lua helpers, each included only in the scripts that use it. */
const HELPERS = {
  // Runs `command [key] list[1..n]` in chunks small enough for `unpack`.
  chunked: `
local function chunked(call, command, key, list, n)
  for i = 1, n, ${CHUNK} do
    local last = math.min(i + ${CHUNK} - 1, n)
    if key then call(command, key, unpack(list, i, last)) else call(command, unpack(list, i, last)) end
  end
end`,

  // The value of each prefix .. id, read with MGET in chunks: nil where the key is missing,
  // expired or holds no string.
  mget: `
local function mget(prefix, ids)
  local values = {}
  for i = 1, #ids, ${CHUNK} do
    local last = math.min(i + ${CHUNK} - 1, #ids)
    local keys = {}
    for j = i, last do keys[j - i + 1] = prefix .. ids[j] end
    local got = redis.call('MGET', unpack(keys))
    for j = i, last do values[j] = got[j - i + 1] end
  end
  return values
end`,

  failure: `
local function failure(key, reply) return {false, key, reply['err']} end`,

  // The user_id of a stored session: read straight from the front of the values this adapter
  // writes (when it holds no escape), decoded with cjson otherwise; nil when it is not a
  // session (not JSON, no string user_id).
  owner_of: `
local function owner_of(value)
  if string.sub(value, 1, 12) == '{"user_id":"' then
    local close = string.find(value, '"', 13, true)
    if close then
      local user = string.sub(value, 13, close - 1)
      if not string.find(user, '\\\\', 1, true) then return user end
    end
  end
  local ok, session = pcall(cjson.decode, value)
  if ok and type(session) == 'table' and type(session['user_id']) == 'string' then
    return session['user_id']
  end
  return nil
end`,

  rare: RARE,

  // Runs a command on the index, converting a legacy index first if the command finds one.
  // Returns the reply, or nil and a failure reply when the index holds another type or the
  // command fails otherwise (nothing written).
  on_index: `
local function on_index(index, prefix, user, ...)
  local reply = redis.pcall(...)
  if type(reply) == 'table' and reply['err'] then
    if string.sub(reply['err'], 1, 9) ~= 'WRONGTYPE' or not rare().convert(index, prefix, user) then
      return nil, failure(index, reply)
    end
    reply = redis.call(...)
  end
  return reply
end`,
} as const;

/** A helper's name. @internal */
export type Helper = keyof typeof HELPERS;

/** A script: the helpers it uses, then its body. @internal */
export function script(helpers: Helper[], body: string): string {
  return helpers.map((name) => HELPERS[name]).join("") + "\n" + body.trim() + "\n";
}

/**
 * A script whose common path uses no helper: the helpers are compiled in but only instantiated
 * (closures created) when `need()` is first called, on a rare path. The body reaches them as
 * `need().name`.
 *
 * @internal
 */
export function lazyScript(helpers: Helper[], body: string): string {
  const names = helpers.map((name) => `${name} = ${name}`).join(", ");
  return `local lib
local function need()
  if not lib then
    lib = (function()
${helpers.map((name) => HELPERS[name]).join("")}
      return { ${names} }
    end)()
  end
  return lib
end
${body.trim()}
`;
}

/**
 * The condition of the writes that drop the expired ids of an index: about one in eighteen,
 * those whose session id's last two bytes add up to a multiple of 16 (Lucia's ids are random),
 * and every write under a cap. `id` and `cap` are Lua expressions.
 *
 * @internal
 */
export function tidyDue(id: string, cap: string): string {
  return `${cap} ~= '0' or (string.byte(${id}, -1) + (string.byte(${id}, -2) or 0)) % 16 == 0`;
}

/**
 * Lua that moves an index key's expiry out to `at` (never in): `GT` for a key that has one, `NX`
 * for a key just created (its one entry is this one). A key that had no expiry but holds other
 * entries (left so by hand or by a tool), and servers older than 7.0 (no `GT`/`NX`), go through
 * the `rare` helper's `extend`, so the index expires no earlier than its longest-lived entry.
 * `rare` is how the script reaches that helper (`need().rare()` in a lazy script).
 *
 * @internal
 */
export function extendExpiry(key: string, at: string, rare = "need().rare()"): string {
  return `local moved = redis.pcall('PEXPIREAT', ${key}, ${at}, 'GT')
if moved == 0 then
  if redis.call('PEXPIREAT', ${key}, ${at}, 'NX') == 1 and redis.call('ZCARD', ${key}) > 1 then
    ${rare}.extend(${key}, ${at})
  end
elseif moved ~= 1 then
  ${rare}.extend(${key}, ${at})
end`;
}

/** The helpers most scripts use. @internal */
export const COMMON: Helper[] = ["chunked", "failure", "owner_of", "rare", "on_index"];
