/**
 * The Lua helpers shared by the scripts of `lua/single.ts` (single server), `lua/cluster.ts` (Redis
 * Cluster) and the command line's `migrate`, each a definition (`lua/define.ts`) that names the
 * helpers it calls and the commands it runs. Every script keeps the conventions ARCHITECTURE.md
 * states ("The Lua scripts' conventions"): all or nothing, stored values never decoded whole,
 * bounded `unpack`, Redis's own clock.
 *
 * @module
 */
import { MAX_TIME } from "../core/util.ts";
import { helper } from "./define.ts";

/** Values handed to Lua's `unpack` at once: it fails at about 8,000 values. @internal */
export const LUA_CHUNK = 1000;

/**
 * Lua that checks, on Redis >= 7.0, that the user may run each command on its key, and returns
 * a failure reply naming the first one refused. `checks` are pairs of a command and a Lua
 * expression for the key it would run on. Placed before a script's first write, it keeps the
 * script all or nothing under an ACL that refuses one of its commands; Redis 6.2 has no
 * `redis.acl_check_cmd`, and a refused command fails there where it runs.
 *
 * @internal
 */
export function aclGuard(
  checks: readonly (readonly [string, string])[],
  returns = "return",
): string {
  if (checks.length === 0) return "";
  const list = checks.map(([command, key]) => `'${command}', ${key}`).join(", ");
  return `if redis.acl_check_cmd then
  local c = {${list}}
  for i = 1, #c, 2 do
    if not redis.acl_check_cmd(c[i], c[i + 1]) then
      ${returns} {false, c[i + 1], 'NOPERM this user has no permissions to run the ' .. c[i] ..
        ' command on this key (checked before any write: nothing changed)'}
    end
  end
end`;
}

/**
 * Runs `command [key] list[first..n]` (`first` 1 when nil) in chunks small enough for `unpack`.
 *
 * @internal
 */
export const chunked = helper(
  "chunked",
  [],
  [],
  `
local function chunked(call, command, key, list, n, first)
  for i = first or 1, n, ${LUA_CHUNK} do
    local last = math.min(i + ${LUA_CHUNK} - 1, n)
    if key then call(command, key, unpack(list, i, last)) else call(command, unpack(list, i, last)) end
  end
end`,
);

/**
 * The value of each `prefix .. id`, read with MGET in chunks: nil where the key is missing,
 * expired or holds no string.
 *
 * @internal
 */
export const mget = helper(
  "mget",
  [],
  ["MGET"],
  `
local function mget(prefix, ids)
  local values = {}
  for i = 1, #ids, ${LUA_CHUNK} do
    local last = math.min(i + ${LUA_CHUNK} - 1, #ids)
    local keys = {}
    for j = i, last do keys[j - i + 1] = prefix .. ids[j] end
    local got = redis.call('MGET', unpack(keys))
    for j = i, last do values[j] = got[j - i + 1] end
  end
  return values
end`,
);

/**
 * `failure(key, reply, command)`: a failure reply for a key from an error reply. When `command`
 * is given and the user may not run it on that key (Redis >= 7.0), the message names it: a
 * refusal inside a script otherwise names no command.
 *
 * @internal
 */
export const failure = helper(
  "failure",
  [],
  [],
  `
local function failure(key, reply, command)
  local err = reply['err']
  if command and redis.acl_check_cmd and not redis.acl_check_cmd(command, key) then
    err = 'NOPERM this user has no permissions to run the ' .. command ..
      ' command on this key (nothing changed)'
  end
  return {false, key, err}
end`,
);

/** The failure reply of a key holding the wrong type. @internal */
export const wrongType = helper(
  "wrong_type",
  [],
  [],
  `
local function wrong_type(key)
  return {false, key, 'WRONGTYPE Operation against a key holding the wrong kind of value'}
end`,
);

/**
 * `json_string(s, i)`: the JSON string that starts at `s[i]` (a `"`), decoded to UTF-8, and the
 * position after its closing quote; nil for a malformed string or a lone surrogate escape.
 * `skip_string(s, i)`: only that position.
 *
 * @internal
 */
export const jsonString = helper(
  "json_string",
  [],
  [],
  String.raw`
local JSON_ESCAPES = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t'}
local function utf8_char(cp)
  if cp < 128 then return string.char(cp) end
  if cp < 2048 then return string.char(192 + math.floor(cp / 64), 128 + cp % 64) end
  if cp < 65536 then
    return string.char(224 + math.floor(cp / 4096), 128 + math.floor(cp / 64) % 64, 128 + cp % 64)
  end
  return string.char(240 + math.floor(cp / 262144), 128 + math.floor(cp / 4096) % 64,
    128 + math.floor(cp / 64) % 64, 128 + cp % 64)
end
local function hex4(s, i)
  local digits = string.sub(s, i, i + 3)
  if not string.find(digits, '^%x%x%x%x$') then return nil end
  return tonumber(digits, 16)
end
local function skip_string(s, i)
  local pos = i + 1
  while true do
    local at = string.find(s, '["\\]', pos)
    if not at then return nil end
    if string.byte(s, at) == 34 then return at + 1 end
    pos = at + 2
  end
end
local function json_string(s, i)
  local parts, n, pos = {}, 0, i + 1
  while true do
    local at = string.find(s, '["\\]', pos)
    if not at then return nil end
    if at > pos then n = n + 1 parts[n] = string.sub(s, pos, at - 1) end
    if string.byte(s, at) == 34 then return table.concat(parts), at + 1 end
    local e = string.sub(s, at + 1, at + 1)
    if JSON_ESCAPES[e] then
      n = n + 1 parts[n] = JSON_ESCAPES[e]
      pos = at + 2
    elseif e == 'u' then
      local cp = hex4(s, at + 2)
      if not cp or (cp >= 56320 and cp <= 57343) then return nil end
      pos = at + 6
      if cp >= 55296 and cp <= 56319 then
        local low = string.sub(s, pos, pos + 1) == '\\u' and hex4(s, pos + 2)
        if not low or low < 56320 or low > 57343 then return nil end
        cp = 65536 + (cp - 55296) * 1024 + (low - 56320)
        pos = pos + 6
      end
      n = n + 1 parts[n] = utf8_char(cp)
    else
      return nil
    end
  end
end`,
);

/**
 * `field_of(s, name)`: one top-level member of the JSON object `s`, without decoding the others
 * (they are skipped by their brackets and quotes, at any depth). Returns `'string', decoded`
 * (decoded nil when the string cannot be decoded), `'scalar', text` (a number or a literal, as
 * written), `'other'` (an object or an array), or nil when `s` is not an object or has no such
 * member before a malformed one. The first member of that name counts.
 *
 * @internal
 */
export const fieldOf = helper(
  "field_of",
  [jsonString],
  [],
  `
local function skip_value(s, i)
  local c = string.sub(s, i, i)
  if c == '"' then return skip_string(s, i) end
  if c == '{' or c == '[' then
    local depth, pos = 0, i
    while true do
      local at = string.find(s, '[%[%]{}"]', pos)
      if not at then return nil end
      local ch = string.sub(s, at, at)
      if ch == '"' then
        pos = skip_string(s, at)
        if not pos then return nil end
      else
        if ch == '{' or ch == '[' then depth = depth + 1 else depth = depth - 1 end
        pos = at + 1
        if depth == 0 then return pos end
      end
    end
  end
  return string.find(s, '[,}%]%s]', i)
end
local function field_of(s, name)
  local pos = string.find(s, '[^%s]')
  if not pos or string.sub(s, pos, pos) ~= '{' then return nil end
  pos = pos + 1
  while true do
    pos = string.find(s, '[^%s]', pos)
    if not pos or string.sub(s, pos, pos) ~= '"' then return nil end
    local key, after = json_string(s, pos)
    if not key then return nil end
    pos = string.find(s, '[^%s]', after)
    if not pos or string.sub(s, pos, pos) ~= ':' then return nil end
    pos = string.find(s, '[^%s]', pos + 1)
    if not pos then return nil end
    if key == name then
      local c = string.sub(s, pos, pos)
      if c == '"' then return 'string', (json_string(s, pos)) end
      if c == '{' or c == '[' then return 'other' end
      local stop = string.find(s, '[,}%]%s]', pos) or #s + 1
      return 'scalar', string.sub(s, pos, stop - 1)
    end
    pos = skip_value(s, pos)
    if not pos then return nil end
    pos = string.find(s, '[^%s]', pos)
    if not pos or string.sub(s, pos, pos) ~= ',' then return nil end
    pos = pos + 1
  end
end`,
);

/**
 * `owner_of(value)`: the `user_id` of a stored session when it is a JSON string, read from the
 * front of the values this adapter writes, or found among the top-level members of another
 * adapter's value; nil when it cannot be read (not an object, no string `user_id`, a malformed
 * or undecodable one). `ownerOf` in `model.ts` is the same rule.
 *
 * @internal
 */
export const ownerOf = helper(
  "owner_of",
  [fieldOf],
  [],
  String.raw`
local function owner_of(value)
  if string.sub(value, 1, 12) == '{"user_id":"' then
    local close = string.find(value, '["\\]', 13)
    if close and string.byte(value, close) == 34 then return string.sub(value, 13, close - 1) end
  end
  local kind, owner = owner_of_need().field_of(value, 'user_id')
  if kind == 'string' then return owner end
  return nil
end`,
  { inner: true },
);

/**
 * `idle_of(value)`: the `idle_expires` of a stored session (a JSON number, or a string Lua's
 * `tonumber` reads), rounded up, when it is a time Lucia can hold (0 < t <= 8.64e15 ms); nil
 * otherwise. `idleOf` in `model.ts` is the same rule.
 *
 * @internal
 */
export const idleOf = helper(
  "idle_of",
  [fieldOf],
  [],
  `
local function idle_of(value)
  local kind, raw = idle_of_need().field_of(value, 'idle_expires')
  local idle = (kind == 'string' or kind == 'scalar') and raw and tonumber(raw)
  if idle and idle > 0 and idle <= ${MAX_TIME} then return math.ceil(idle) end
  return nil
end`,
  { inner: true },
);

/**
 * `legacy_entry(value, user, now)`: what converting an earlier adapter's index does with one of
 * its ids, given the session's value (`legacyEntry` in `model.ts` is the same table):
 * `'drop'` (the session is gone, a tombstone, or another user's: the entry goes, the session is
 * left alone), `'dead', idle` (this user's, idle expiry passed: the session is deleted),
 * `'keep', idle` (this user's and alive: scored by its idle expiry, and the key made to expire
 * then), `'ttl'` (its owner or idle expiry cannot be read: kept, scored by the key's own expiry,
 * so that signing the user out still finds it).
 *
 * @internal
 */
export const legacyEntry = helper(
  "legacy_entry",
  [ownerOf, idleOf],
  [],
  `
local function legacy_entry(value, user, now)
  if type(value) ~= 'string' or value == '' then return 'drop' end
  local owner = owner_of(value)
  if owner == nil then return 'ttl' end
  if owner ~= user then return 'drop' end
  local idle = idle_of(value)
  if not idle then return 'ttl' end
  if idle <= now then return 'dead', idle end
  return 'keep', idle
end`,
);

/** `now_ms()`: Redis's clock, in ms. @internal */
export const nowMs = helper(
  "now_ms",
  [],
  ["TIME"],
  `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end`,
);

/**
 * The commands `rare().convert` runs: it checks them all (Redis >= 7.0) before it runs any, so a
 * refused one is named and nothing changes.
 */
const CONVERT_COMMANDS = [
  "TYPE",
  "LRANGE",
  "SMEMBERS",
  "GET",
  "PTTL",
  "TIME",
  "DEL",
  "ZADD",
  "PEXPIREAT",
] as const;

/**
 * The code for data left by the earlier adapters, and other rare paths, compiled with each
 * script that uses it but instantiated (one closure) only when a rare path needs it: the common
 * path of a script creates no helper closures.
 *
 * `convert(index, prefix, user)` converts an index left by the earlier adapters (a LIST in 1.x,
 * a SET in 2.x) into the sorted set, in place and all or nothing (every entry is decided by
 * `legacy_entry` before the first write, and the commands it writes with are checked against
 * the ACL first). Returns true when the index is a sorted set (or absent) afterwards; false and
 * a failure reply for another type or a refused command (nothing written).
 *
 * `prune(index)` drops the ids whose idle expiry has passed; `beyond_cap(index, cap, keep)` lists
 * the user's oldest ids beyond a cap (never `keep`); `tidy(index, prefix, user, cap, keep)` does
 * both and signs those sessions out: those of this user, and those whose owner cannot be read
 * (listed under this user, so fail closed), never another user's.
 *
 * `extend(index, at)` makes the index expire no earlier than `at` nor than its longest-lived
 * entry: on Redis < 7.0, which has no GT or NX flags for PEXPIREAT, and for an index found with
 * entries but no expiry (none of the adapters leaves one, but a hand or a tool may).
 *
 * @internal
 */
export const rare = helper(
  "rare",
  [chunked, legacyEntry, nowMs, ownerOf, wrongType],
  [
    "TYPE",
    "LRANGE",
    "SMEMBERS",
    "GET",
    "PTTL",
    "DEL",
    "ZADD",
    "PEXPIREAT",
    "ZREVRANGE",
    "ZREMRANGEBYSCORE",
    "ZCARD",
    "ZRANGE",
    "ZREM",
  ],
  `
local function rare()
  local need = rare_need()
  local chunked, legacy_entry, now_ms, owner_of, wrong_type =
    need.chunked, need.legacy_entry, need.now_ms, need.owner_of, need.wrong_type
  local function int(n) return string.format('%d', n) end
  local lib = {}
  function lib.convert(index, prefix, user)
    ${
    aclGuard(
      CONVERT_COMMANDS.map((c) => [c, c === "GET" || c === "PTTL" ? "prefix" : "index"]),
      "return false,",
    )
  }
    local kind = redis.call('TYPE', index)['ok']
    if kind == 'zset' or kind == 'none' then return true end
    local ids
    if kind == 'list' then
      ids = redis.call('LRANGE', index, 0, -1)
    elseif kind == 'set' then
      ids = redis.call('SMEMBERS', index)
    else
      return false, wrong_type(index)
    end
    local now = now_ms()
    local entries, expire, dead, seen, last = {}, {}, {}, {}, 0
    for _, id in ipairs(ids) do
      if not seen[id] then
        seen[id] = true
        local key = prefix .. id
        local fate, idle = legacy_entry(redis.pcall('GET', key), user, now)
        local score
        if fate == 'dead' then
          dead[#dead + 1] = key
        elseif fate == 'keep' then
          score = idle
          expire[#expire + 1] = {key, idle}
        elseif fate == 'ttl' then
          local ttl = redis.call('PTTL', key)
          if ttl > 0 then score = now + ttl elseif ttl == -1 then score = ${MAX_TIME} end
        end
        if score then
          entries[#entries + 1] = int(score)
          entries[#entries + 1] = id
          if score > last then last = score end
        end
      end
    end
    redis.call('DEL', index)
    chunked(redis.call, 'ZADD', index, entries, #entries)
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
      if type(value) == 'string' then
        local owner = owner_of(value)
        if owner == nil or owner == user then redis.call('DEL', key) end
      end
      redis.call('ZREM', index, id)
    end
  end
  return lib
end`,
  { inner: true },
);

/**
 * `on_index(index, prefix, user, ...)`: runs a command on the index, converting a legacy index
 * first if the command finds one. Returns the reply, or nil and a failure reply when the index
 * holds another type, a command is refused, or the command fails otherwise (nothing written).
 *
 * @internal
 */
export const onIndex = helper(
  "on_index",
  [rare, failure],
  [],
  `
local function on_index(index, prefix, user, ...)
  local reply = redis.pcall(...)
  if type(reply) == 'table' and reply['err'] then
    if string.sub(reply['err'], 1, 9) ~= 'WRONGTYPE' then
      return nil, failure(index, reply, (select(1, ...)))
    end
    local ok, failed = rare().convert(index, prefix, user)
    if not ok then return nil, failed end
    reply = redis.call(...)
  end
  return reply
end`,
);

/**
 * The condition of the writes that drop the expired ids of an index: about one in eighteen,
 * those whose session id's last two bytes add up to a multiple of 16 (Lucia's ids are random),
 * and every write under a cap. `id` and `cap` are Lua expressions.
 *
 * @internal
 */
export function tidyDue(id: string, cap: string): string {
  return `(${cap} ~= '0' or (string.byte(${id}, -1) + (string.byte(${id}, -2) or 0)) % 16 == 0)`;
}

/**
 * The ACL checks (see {@linkcode aclGuard}) for what {@linkcode extendExpiry} may run on the index
 * `key` (a Lua expression) after a script's first write: `PEXPIREAT`, `ZCARD`, and what the rare
 * `extend` runs.
 *
 * @internal
 */
export function extendChecks(key: string): [string, string][] {
  return ["PEXPIREAT", "ZCARD", "ZREVRANGE", "PTTL", "TIME"].map((c) => [c, key]);
}

/**
 * Lua that moves an index key's expiry out to `at` (never in): `GT` for a key that has one, `NX`
 * for a key just created (its one entry is this one). A key that had no expiry but holds other
 * entries (left so by hand or by a tool), and servers older than 7.0 (no `GT`/`NX`), go through
 * the `rare` helper's `extend`, so the index expires no earlier than its longest-lived entry.
 * `rareExpr` is how the script reaches that helper (`need().rare()` in a lazy script). The
 * calling script checks {@linkcode extendChecks} before its first write.
 *
 * @internal
 */
export function extendExpiry(key: string, at: string, rareExpr = "need().rare()"): string {
  return `local moved = redis.pcall('PEXPIREAT', ${key}, ${at}, 'GT')
if moved == 0 then
  if redis.call('PEXPIREAT', ${key}, ${at}, 'NX') == 1 and redis.call('ZCARD', ${key}) > 1 then
    ${rareExpr}.extend(${key}, ${at})
  end
elseif moved ~= 1 then
  ${rareExpr}.extend(${key}, ${at})
end`;
}
