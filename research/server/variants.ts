/**
 * Script variants for "What each change bought": chains that go from the previous design's
 * scripts (git b67ca21, src/scripts.ts, copied as they were in previous.ts) to the current ones (`SCRIPTS`
 * of src/lua/single.ts), one change at a time, so that counting the instructions of each shows what
 * each change saved or cost. The intermediate variants exist only here.
 *
 * Every variant runs on this adapter's layout (`session:<id>`, `userSession:<user>`) with the
 * arguments its own design passed: the previous design's setSession took 4 arguments, the
 * current one takes 6 (user id and cap added).
 *
 * @module
 */
import { DELETE_SESSION, DELETE_SESSIONS_BY_USER_ID, SET_SESSION } from "../../src/lua/single.ts";
import { resolveHelpers } from "../../src/lua/define.ts";
import { ownerOf, tidyDue } from "../../src/lua/helpers.ts";
import { FLOOR } from "./floor.ts";
import { PREV_DELETE, PREV_DELETE_USER, PREV_LIST, PREV_PRELUDE, PREV_SET } from "./previous.ts";

/** The current scripts' owner_of helper (src/lua/helpers.ts), for the variant that adopts it alone. */
const OWNER_OF = resolveHelpers([ownerOf]).map((h) => h.source).join("\n") + "\n";

/** Replaces `from` in `text`, which must be there. */
function swap(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`variant: "${from.trim()}" not found`);
  return text.replace(from, to);
}

// setSession, from the previous design to the current one.
const SET_1_BODY = `
local added = on_index(KEYS[2], ARGV[4], 'ZADD', KEYS[2], 'NX', ARGV[2], ARGV[3])
if not redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], 'NX') then
  if added == 1 then redis.call('ZREM', KEYS[2], ARGV[3]) end
  return 0
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now_ms())
set_expiry(KEYS[2])
return 1
`;
const SET_2_BODY = swap(
  SET_1_BODY,
  "set_expiry(KEYS[2])\n",
  `if redis.call('PEXPIREAT', KEYS[2], ARGV[2], 'GT') == 0 then
  redis.call('PEXPIREAT', KEYS[2], ARGV[2], 'NX')
end
`,
);
const SET_3_BODY = swap(
  SET_2_BODY,
  "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now_ms())\n",
  `if string.byte(ARGV[3], -1) % 8 == 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. now_ms())
end
`,
);

/** The current setSession's pruning condition (src/lua/helpers.ts, `tidyDue`). */
const TIDY_DUE = tidyDue("id", "cap");
const BODY_START = "\nlocal added = redis.pcall('ZADD', index_key";

/** The current setSession pruning when the id's last byte % 8 == 0, as it first did. */
const SET_PRUNE_8 = swap(
  SET_SESSION.source,
  TIDY_DUE,
  "(cap ~= '0' or string.byte(id, -1) % 8 == 0)",
);
/** The same with its helpers (closures) built on every call instead of when a rare path runs. */
const SET_EAGER = swap(SET_PRUNE_8, BODY_START, "\nneed().rare()" + BODY_START);

// The current scripts with one part taken out, to show what that part costs.
const SET_NO_PRUNE = swap(SET_SESSION.source, TIDY_DUE, "(cap ~= '0')");
const SET_NO_EXPIRY = swap(
  SET_SESSION.source,
  "local moved = redis.pcall('PEXPIREAT', index_key, expires_at, 'GT')",
  "local moved = 1",
);
const DELETE_USER_PREFIX = swap(
  swap(
    DELETE_SESSIONS_BY_USER_ID.source,
    "local values, doomed, n = mget(session_prefix, ids), {index_key}, 1",
    `local values, doomed, n = mget(session_prefix, ids), {index_key}, 1
local front = '{"user_id":' .. cjson.encode(user_id) .. ','`,
  ),
  "    local owner = owner_of(value)\n    if owner == nil or owner == user_id then",
  `    local owner = string.sub(value, 1, #front) == front and user_id or owner_of(value)
    if owner == nil or owner == user_id then`,
);

// deleteSession.
const DELETE_1 = swap(
  PREV_DELETE,
  "if on_index(index, ARGV[2], 'ZREM', index, ARGV[i + 2]) > 0 then set_expiry(index) end",
  "on_index(index, ARGV[2], 'ZREM', index, ARGV[i + 2])",
);
const DELETE_2 = OWNER_OF + swap(
  DELETE_1,
  `    local ok, session = pcall(cjson.decode, raw)
    local user = ok and type(session) == 'table' and session['user_id']
    if type(user) == 'string' or type(user) == 'number' then`,
  `    local user = owner_of(raw)
    if user then`,
);

// getSessionsByUserId: the previous script without its pruning.
const LIST_1 = `
local ids = on_index(KEYS[1], ARGV[1], 'ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {} end
local values = {}
for i = 1, #ids, 1000 do
  local last = math.min(i + 1000 - 1, #ids)
  local keys = {}
  for j = i, last do keys[#keys + 1] = ARGV[1] .. ids[j] end
  local got = redis.call('MGET', unpack(keys))
  for j = i, last do values[j] = got[j - i + 1] end
end
return {ids, values}
`;

/** Which arguments a script takes: the previous design's, the current one's, the floor's. */
export type Args = "prev" | "current" | "floor";

/** How a variant is called: a script with an argument layout, or the native SORT_RO. */
export type Call =
  | { kind: "script"; source: string; args: Args }
  | { kind: "sort" };

/** One variant of a chain. `reference` rows are shown for comparison, outside the chain. */
export interface Variant {
  chain: "setSession" | "deleteSession" | "getSessionsByUserId(10)" | "deleteSessionsByUserId(10)";
  label: string;
  change: string;
  call: Call;
  reference?: boolean;
}

const script = (source: string, args: Args = "prev"): Call => ({
  kind: "script",
  source,
  args,
});

/** The chains, each in order from the previous design to the current one. */
export const VARIANTS: Variant[] = [
  {
    chain: "setSession",
    label: "previous (b67ca21)",
    change: "SET NX, ZADD, TIME + ZREMRANGEBYSCORE and ZRANGE -1 -1 WITHSCORES + PEXPIREAT " +
      "on every write",
    call: script(PREV_PRELUDE + PREV_SET),
  },
  {
    chain: "setSession",
    label: "+ index entry first",
    change: "ZADD NX first, then SET NX (entry taken back out if the SET is refused)",
    call: script(PREV_PRELUDE + SET_1_BODY),
  },
  {
    chain: "setSession",
    label: "+ PEXPIREAT GT/NX",
    change: "PEXPIREAT … GT (NX for a new index) instead of ZRANGE -1 -1 WITHSCORES + PEXPIREAT",
    call: script(PREV_PRELUDE + SET_2_BODY),
  },
  {
    chain: "setSession",
    label: "+ prune 1 write in 8",
    change: "TIME + ZREMRANGEBYSCORE only when the id's last byte % 8 == 0",
    call: script(PREV_PRELUDE + SET_3_BODY),
  },
  {
    chain: "setSession",
    label: "+ rest of the rewrite, helpers eager",
    change: "the current script (checked replies, retry-safe, cap, 6 arguments) but its " +
      "helpers (closures) built on every call",
    call: script(SET_EAGER, "current"),
  },
  {
    chain: "setSession",
    label: "+ helpers lazy",
    change: "helper closures created only when a rare path runs",
    call: script(SET_PRUNE_8, "current"),
  },
  {
    chain: "setSession",
    label: "+ prune 1 write in 18 (current)",
    change: "TIME + ZREMRANGEBYSCORE when the id's last two bytes add up to a multiple of 16 " +
      "(5.6% of Lucia's ids; the last byte % 8 picked 13.9%): the current script",
    call: script(SET_SESSION.source, "current"),
  },
  {
    chain: "setSession",
    label: "current, no pruning",
    change: "the current script without its 1-in-18 pruning: what pruning costs on average",
    call: script(SET_NO_PRUNE, "current"),
    reference: true,
  },
  {
    chain: "setSession",
    label: "current, no index expiry",
    change: "the current script without PEXPIREAT … GT/NX: what keeping the index's expiry " +
      "costs (without it an index outlives its sessions)",
    call: script(SET_NO_EXPIRY, "current"),
    reference: true,
  },
  {
    chain: "setSession",
    label: "floor script",
    change: "SET … PXAT … NX + ZADD, nothing else",
    call: script(FLOOR.set, "floor"),
    reference: true,
  },
  {
    chain: "deleteSession",
    label: "previous (b67ca21)",
    change: "GETDEL, cjson.decode, ZREM, index expiry reset (ZRANGE -1 -1 WITHSCORES + PEXPIREAT)",
    call: script(PREV_PRELUDE + PREV_DELETE),
  },
  {
    chain: "deleteSession",
    label: "no expiry reset",
    change: "the index's expiry left as it is",
    call: script(PREV_PRELUDE + DELETE_1),
  },
  {
    chain: "deleteSession",
    label: "owner from the JSON's front",
    change: "user_id read from the value's front instead of cjson.decode",
    call: script(PREV_PRELUDE + DELETE_2),
  },
  {
    chain: "deleteSession",
    label: "current",
    change: "the current script: GET … DEL (all or nothing), checked replies, rare path lazy",
    call: script(DELETE_SESSION.source),
  },
  {
    chain: "deleteSession",
    label: "floor script",
    change: "GETDEL + ZREM, the user read from the value",
    call: script(FLOOR.delete, "floor"),
    reference: true,
  },
  {
    chain: "getSessionsByUserId(10)",
    label: "previous (b67ca21)",
    change: "ZRANGE + MGET, drops ids whose session is gone (none here)",
    call: script(PREV_PRELUDE + PREV_LIST),
  },
  {
    chain: "getSessionsByUserId(10)",
    label: "script without pruning",
    change: "ZRANGE + MGET only (prelude kept)",
    call: script(PREV_PRELUDE + LIST_1),
  },
  {
    chain: "getSessionsByUserId(10)",
    label: "SORT_RO (until the read became ZRANGE + MGET)",
    change:
      "one native SORT_RO index BY nosort GET # GET session:*, no script (it converts the index to a skiplist)",
    call: { kind: "sort" },
  },
  {
    chain: "getSessionsByUserId(10)",
    label: "floor script",
    change: "ZRANGE + MGET, nothing else",
    call: script(FLOOR.list, "floor"),
    reference: true,
  },
  {
    chain: "deleteSessionsByUserId(10)",
    label: "previous (b67ca21)",
    change: "ZRANGE + one DEL of the index and every listed session",
    call: script(PREV_PRELUDE + PREV_DELETE_USER),
  },
  {
    chain: "deleteSessionsByUserId(10)",
    label: "current",
    change: "ZRANGE, MGET and an owner check of every listed session, then DEL",
    call: script(DELETE_SESSIONS_BY_USER_ID.source, "current"),
  },
  {
    chain: "deleteSessionsByUserId(10)",
    label: "current, owner by one prefix compare",
    change: "the current script with each owner checked by comparing the value's front with " +
      "the expected one (owner_of only when it differs)",
    call: script(DELETE_USER_PREFIX, "current"),
    reference: true,
  },
  {
    chain: "deleteSessionsByUserId(10)",
    label: "floor script",
    change: "ZRANGE + DEL, nothing else",
    call: script(FLOOR.deleteUser, "floor"),
    reference: true,
  },
];
