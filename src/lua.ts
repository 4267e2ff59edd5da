/**
 * The Lua scripts that make each multi-key operation one atomic command on a single Redis
 * server.
 *
 * Every script is **all or nothing**: it reads and checks everything it will touch (key types,
 * numbers, values) before its first write, and after that first write it only runs commands
 * that cannot fail on what it has checked. Redis does not roll a script back, so a script that
 * raised half-way would leave its first writes behind; these never do. A problem found while
 * checking is returned as a failure reply, `{false, key, message}` (see
 * `checkReply` in store.ts), and nothing has been written.
 *
 * Stored values: a session is a JSON string that this adapter writes starting with
 * `{"user_id":`, so a script can read its owner without decoding it (`owner_of`); any other
 * JSON (data from the earlier adapters, say) is decoded with `cjson`. An empty string is a
 * *tombstone* (written by the cluster path when it signs a user out): no session, and an id
 * that cannot be taken again until it expires.
 *
 * The clock is Redis's own (`TIME`): it is the clock that expires keys. Integers handed to
 * Redis are formatted with `%d`: Lua would print 16-digit numbers in exponent form.
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
 * `tidy(index, prefix, user, cap, keep)` drops the ids whose idle expiry has passed and, with a
 * cap, signs out the user's oldest sessions beyond it (owner-checked; never `keep`).
 *
 * `extend(index, at)` makes the index expire no earlier than `at` on Redis < 7.0, which has no
 * GT or NX flags for PEXPIREAT.
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
    local ttl = redis.call('PTTL', index)
    if ttl < 0 or now_ms() + ttl < tonumber(at) then redis.call('PEXPIREAT', index, at) end
  end
  function lib.tidy(index, prefix, user, cap, keep)
    redis.call('ZREMRANGEBYSCORE', index, '-inf', '(' .. int(now_ms()))
    if cap == 0 then return end
    local count = redis.call('ZCARD', index)
    if count <= cap then return end
    local over = count - cap
    for _, id in ipairs(redis.call('ZRANGE', index, 0, over)) do
      if over > 0 and id ~= keep then
        over = over - 1
        local key = prefix .. id
        local value = redis.pcall('GET', key)
        if type(value) == 'string' and owner_of(value) == user then redis.call('DEL', key) end
        redis.call('ZREM', index, id)
      end
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

type Helper = keyof typeof HELPERS;

function script(helpers: Helper[], body: string): string {
  return helpers.map((name) => HELPERS[name]).join("") + "\n" + body.trim() + "\n";
}

const COMMON: Helper[] = ["chunked", "failure", "owner_of", "rare", "on_index"];

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
 * (every index this adapter writes has an expiry; one created for a session already dead is
 * deleted by it at once). Ids whose idle expiry has
 * passed are dropped from the index on one write in eight (chosen by the new id's last byte,
 * so about every eighth login of a user; reads drop them too), and on every write under a cap,
 * where the user's oldest sessions beyond the cap are then signed out (owner-checked).
 */
const SET_SESSION = script(
  COMMON,
  `
local added, failed = on_index(KEYS[2], ARGV[4], ARGV[5], 'ZADD', KEYS[2], 'NX', ARGV[2], ARGV[3])
if failed then return failed end
if not redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], 'NX') then
  local current = redis.pcall('GET', KEYS[1])
  if current ~= ARGV[1] then
    if added == 1 then redis.call('ZREM', KEYS[2], ARGV[3]) end
    if type(current) == 'table' then return failure(KEYS[1], current) end
    return 0
  end
elseif added == 0 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
end
local moved = redis.pcall('PEXPIREAT', KEYS[2], ARGV[2], 'GT')
if moved == 0 then
  redis.call('PEXPIREAT', KEYS[2], ARGV[2], 'NX')
elseif moved ~= 1 then
  rare().extend(KEYS[2], ARGV[2])
end
if ARGV[6] ~= '0' or string.byte(ARGV[3], -1) % 8 == 0 then
  rare().tidy(KEYS[2], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[3])
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

/** The scripts by name. @internal */
export const SCRIPTS = {
  setSession: SET_SESSION,
  getUserSessions: GET_USER_SESSIONS,
  deleteSessions: DELETE_SESSIONS,
  deleteUserSessions: DELETE_USER_SESSIONS,
} as const;
