/**
 * The previous design's scripts (git b67ca21, src/scripts.ts: `PRELUDE` and the four script
 * bodies), copied as they were, with `CHUNK` written out as 1000. Used by variants.ts.
 *
 * @module
 */

/** The shared prelude, defined on every call of every script. */
export const PREV_PRELUDE = `
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

/** setSession. */
export const PREV_SET = `
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

/** getSessionsByUserId (ZRANGE + MGET, dropping ids whose session is gone). */
export const PREV_LIST = `
local ids = on_index(KEYS[1], ARGV[1], 'ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {} end
local values, dead = {}, {}
for i = 1, #ids, 1000 do
  local last = math.min(i + 1000 - 1, #ids)
  local keys = {}
  for j = i, last do keys[#keys + 1] = ARGV[1] .. ids[j] end
  local got = redis.call('MGET', unpack(keys))
  for j = i, last do
    local value = got[j - i + 1]
    values[j] = value
    if not value then dead[#dead + 1] = ids[j] end
  end
end
for i = 1, #dead, 1000 do
  redis.call('ZREM', KEYS[1], unpack(dead, i, math.min(i + 1000 - 1, #dead)))
end
if #dead > 0 then set_expiry(KEYS[1]) end
return {ids, values}
`;

/** deleteSession (GETDEL, cjson.decode, ZREM, index expiry reset). */
export const PREV_DELETE = `
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

/** deleteSessionsByUserId (ZRANGE + DEL). */
export const PREV_DELETE_USER = `
local ids = on_index(KEYS[1], ARGV[1], 'ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return 0 end
for i = 1, #ids, 1000 do
  local keys = {}
  if i == 1 then keys[1] = KEYS[1] end
  for j = i, math.min(i + 1000 - 1, #ids) do keys[#keys + 1] = ARGV[1] .. ids[j] end
  redis.call('DEL', unpack(keys))
end
return #ids
`;
