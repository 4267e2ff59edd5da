/**
 * The floor scripts: the least a script could do for each operation on this adapter's layout
 * (`session:<id>` holding the JSON, a sorted set `userSession:<user>` of ids scored by idle
 * expiry), with none of the adapter's checks, pruning, index expiry or legacy handling. They
 * are what each operation's Redis cost is compared with ("ours ÷ floor").
 *
 * - setSession: `SET key json PXAT at NX` + `ZADD index at id`;
 * - deleteSession: `GETDEL key` + `ZREM` from the index of the user read from the value's front;
 * - getSessionsByUserId: `ZRANGE index 0 -1` + `MGET` of the sessions;
 * - deleteSessionsByUserId: `ZRANGE index 0 -1` + one `DEL` of the index and the sessions;
 * - getSession: a plain `GET` (no script can be cheaper than the command itself).
 *
 * @module
 */
import { serializeSession } from "../../src/core/session.ts";
import {
  type HasId,
  INDEX_PREFIX,
  type RawSend,
  SESSION_PREFIX,
  type Subject,
} from "../../bench/subjects.ts";

/** The floor scripts' sources. */
export const FLOOR = {
  set: `
if not redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2], 'NX') then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
`,
  delete: `
local value = redis.call('GETDEL', KEYS[1])
if not value then return 0 end
local user = string.match(value, '^{"user_id":"([^"\\\\]*)"')
if user then redis.call('ZREM', ARGV[1] .. user, ARGV[2]) end
return 1
`,
  list: `
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return {{}, {}} end
local keys = {}
for i, id in ipairs(ids) do keys[i] = ARGV[1] .. id end
return {ids, redis.call('MGET', unpack(keys))}
`,
  deleteUser: `
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local keys = {KEYS[1]}
for i, id in ipairs(ids) do keys[i + 1] = ARGV[1] .. id end
redis.call('DEL', unpack(keys))
return #ids
`,
} as const;

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs a script by `EVALSHA`, loading it with `EVAL` on `NOSCRIPT`. One command per call. */
export type ScriptCall = (source: string, keys: string[], args: string[]) => Promise<unknown>;

/** A {@linkcode ScriptCall} over a raw-command function. */
export function scriptCaller(send: RawSend): ScriptCall {
  const shas = new Map<string, Promise<string>>();
  return async (source, keys, args) => {
    let sha = shas.get(source);
    if (sha === undefined) {
      sha = sha1Hex(source);
      shas.set(source, sha);
    }
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await send(["EVALSHA", await sha, ...tail]);
    } catch (error) {
      if (!String((error as Error)?.message ?? error).includes("NOSCRIPT")) throw error;
      return await send(["EVAL", source, ...tail]);
    }
  };
}

/** The ids and values of a `{ids, values}` reply, parsed where the value is there. */
export function parsePairs(reply: unknown): HasId[] {
  const [ids, values] = reply as [string[], (string | null)[]];
  const out: HasId[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (values[i] !== null && values[i] !== "") out.push(JSON.parse(values[i] as string));
  }
  return out;
}

/**
 * The floor as a subject, on this adapter's key layout and value format (the JSON this adapter
 * writes, `user_id` first), so that a floor cell's data is what this adapter's would be.
 */
export function floorSubject(send: RawSend, clientLabel: string): Subject {
  const call = scriptCaller(send);
  return {
    key: "floor",
    client: clientLabel,
    setSession: async (s) => {
      const record = serializeSession(s);
      const reply = await call(
        FLOOR.set,
        [SESSION_PREFIX + s.id, INDEX_PREFIX + s.user_id],
        [record.json, String(record.expiresAt), s.id],
      );
      if (reply !== 1) throw new Error(`floor setSession: id ${s.id} is taken`);
    },
    getSession: async (id) => {
      const raw = await send(["GET", SESSION_PREFIX + id]);
      return raw === null ? null : JSON.parse(raw as string);
    },
    getSessionsByUserId: async (userId) =>
      parsePairs(await call(FLOOR.list, [INDEX_PREFIX + userId], [SESSION_PREFIX])),
    deleteSession: (id) => call(FLOOR.delete, [SESSION_PREFIX + id], [INDEX_PREFIX, id]),
    deleteSessionsByUserId: (userId) =>
      call(FLOOR.deleteUser, [INDEX_PREFIX + userId], [SESSION_PREFIX]),
  };
}
