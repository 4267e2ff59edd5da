/**
 * Hostile data for tests/adversarial.test.ts, tests/acl_matrix.test.ts and the property suite:
 * user ids holding every class of character that JSON escapes, session fields that Redis's Lua
 * JSON decoder (cjson) refuses or that are merely huge, both adapter entries (Lucia v1's and
 * v2's) behind one interface, data written by hand in the adapter's and the 1.x adapter's
 * layouts, and the README's main invariant checked on any index type, reported rather than
 * asserted so that a test can say everything that is wrong at once.
 *
 * @module
 */
import { LuciaError } from "lucia-auth";
import redis from "../../mod.ts";
import redisV2 from "../../v2.ts";
import { type Admin, HOUR, keysUnder } from "./harness.ts";

/** A test's namespaces, as freshNamespaces() returns them. */
export interface Namespaces {
  root: string;
  session: string;
  userSession: string;
}

/** A user id of one class of character, and how a test name calls the class. */
export interface UserIdClass {
  label: string;
  id: string;
}

/**
 * One user id per class of character that `JSON.stringify` escapes (so the stored JSON holds a
 * backslash inside `user_id`), then non-ASCII ones that it leaves as they are.
 */
export const USER_ID_CLASSES: readonly UserIdClass[] = [
  { label: 'a double quote (")', id: 'say"cheese"' },
  { label: "a backslash", id: "back\\slash" },
  { label: "a newline", id: "new\nline" },
  { label: "a tab", id: "tab\tbed" },
  { label: "U+0000", id: "nul\u0000byte" },
  { label: "U+0001", id: "soh\u0001" },
  { label: "U+0008 (backspace)", id: "bs\u0008" },
  { label: "U+001F", id: "us\u001f" },
  { label: "a non-ASCII letter (é)", id: "josé" },
  { label: "an emoji", id: "emoji🙂" },
];

/** Arrays nested `depth` deep: `[[[…]]]`. */
export function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

/**
 * A string of `bytes` ASCII characters full of what JSON escapes and of text that looks like a
 * session's fields (a decoder that searches the value for `"user_id":"` finds another owner).
 */
export function bigString(bytes: number): string {
  const unit = '\\ "},{"user_id":"mallory","id":"x"\t';
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

/** A value for a session field that the scripts must carry without decoding it wrongly. */
export interface HostileValue {
  label: string;
  value: unknown;
}

/** The values of defect 1: a lone surrogate, nesting beyond cjson's 1,000 levels, 1 MB. */
export const HOSTILE_VALUES: readonly HostileValue[] = [
  { label: 'a lone UTF-16 surrogate ("Pixel \\uD83D")', value: "Pixel \uD83D" },
  { label: "arrays nested 1,200 deep", value: nestedArrays(1200) },
  { label: "a 1 MB string", value: bigString(1 << 20) },
];

/** A session as both entries take it. */
export type AnySession = {
  id: string;
  user_id: string;
  active_expires: number;
  idle_expires: number;
  [field: string]: unknown;
};

/** The five operations both entries share, over fresh namespaces. */
export interface Ops {
  getSession(id: string): Promise<AnySession | null>;
  getSessionsByUserId(userId: string): Promise<AnySession[]>;
  setSession(session: AnySession): Promise<void>;
  deleteSession(...ids: string[]): Promise<void>;
  deleteSessionsByUserId(userId: string): Promise<void>;
}

/** Options both entries take. */
export interface EntryOptions {
  maxSessionsPerUser?: number;
}

/** One of the package's entries, and the session field a test puts hostile values in. */
export interface Entry {
  /** As test names say it. */
  name: string;
  /** The extra field of a session: Lucia v1's any extra field, Lucia v2's session attribute. */
  field: string;
  /** True when deleteSession takes several ids (the v1 entry; Lucia v2's takes one). */
  multiDelete: boolean;
  open(client: unknown, ns: Namespaces, options?: EntryOptions): Ops;
}

/** The Lucia v1 entry (mod.ts) and the Lucia v2 entry (v2.ts). */
export const ENTRIES: readonly Entry[] = [
  {
    name: "the Lucia v1 entry",
    field: "device",
    multiDelete: true,
    open: (client, ns, options = {}) =>
      redis(client as Parameters<typeof redis>[0], {
        namespaces: { session: ns.session, userSession: ns.userSession },
        evictionWarning: false,
        ...options,
      })(LuciaError) as unknown as Ops,
  },
  {
    name: "the Lucia v2 entry",
    field: "user_agent",
    multiDelete: false,
    open: (client, ns, options = {}) => {
      const adapter = redisV2(client as Parameters<typeof redisV2>[0], {
        session: ns.session,
        userSessions: ns.userSession,
        evictionWarning: false,
        ...options,
      })();
      return {
        getSession: (id) => adapter.getSession(id),
        getSessionsByUserId: (userId) => adapter.getSessionsByUserId(userId),
        setSession: (s) => adapter.setSession(s),
        deleteSession: async (...ids) => {
          for (const id of ids) await adapter.deleteSession(id);
        },
        deleteSessionsByUserId: (userId) => adapter.deleteSessionsByUserId(userId),
      };
    },
  },
];

/** Describes a string for a message: JSON, so that control characters show. */
export const show = (s: string): string => JSON.stringify(s);

/** A session expiring `idleInMs` from `now`, with `extra` fields. */
export function makeSession(
  id: string,
  userId: string,
  idleInMs = HOUR,
  extra: Record<string, unknown> = {},
  now = Date.now(),
): AnySession {
  return {
    id,
    user_id: userId,
    active_expires: now + idleInMs / 2,
    idle_expires: now + idleInMs,
    ...extra,
  };
}

/** Writes a session by hand exactly as the adapter does: the key, its index entry and expiry. */
export async function writeSession(admin: Admin, ns: Namespaces, s: AnySession): Promise<void> {
  const at = Math.ceil(s.idle_expires);
  const { id, user_id, ...rest } = s;
  await admin.set(`${ns.session}:${id}`, JSON.stringify({ user_id, id, ...rest }), { PXAT: at });
  const index = `${ns.userSession}:${user_id}`;
  await admin.zAdd(index, { score: at, value: id });
  await admin.sendCommand(["PEXPIREAT", index, String(at), "GT"]);
  await admin.sendCommand(["PEXPIREAT", index, String(at), "NX"]);
}

/**
 * Writes a user's sessions and index as lucia-auth 1.x's adapter left them: each session with
 * its idle expiry given as a relative EX (so ~54 years), the ids in a LIST, `extraIds` (of
 * sessions that are gone) among them.
 */
export async function writeLegacyList(
  admin: Admin,
  ns: Namespaces,
  userId: string,
  sessions: AnySession[],
  extraIds: string[] = [],
): Promise<void> {
  for (const s of sessions) {
    await admin.set(`${ns.session}:${s.id}`, JSON.stringify(s), {
      EX: Math.floor(s.idle_expires),
    });
  }
  await admin.rPush(`${ns.userSession}:${userId}`, [...sessions.map((s) => s.id), ...extraIds]);
}

/** A live session found under a session key. */
export interface LiveSession {
  key: string;
  id: string;
  userId: string;
}

/**
 * Every live session under the namespaces: the keys holding a JSON object with a string user_id
 * whose idle expiry has not passed (tombstones, other values and other types are not sessions).
 */
export async function liveSessions(admin: Admin, ns: Namespaces): Promise<LiveSession[]> {
  const prefix = `${ns.session}:`;
  const out: LiveSession[] = [];
  for (const key of await keysUnder(admin, ns.root)) {
    if (!key.startsWith(prefix) || (await admin.type(key)) !== "string") continue;
    const value = await admin.get(key);
    if (value === null || value === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      continue;
    }
    const { user_id: userId, idle_expires: idle } = (parsed ?? {}) as {
      user_id?: unknown;
      idle_expires?: unknown;
    };
    if (typeof userId !== "string") continue;
    // Past its idle expiry a session is dead to Lucia, whatever its key's TTL (1.x's ~54 years).
    if (typeof idle === "number" && idle <= Date.now()) continue;
    out.push({ key, id: key.slice(prefix.length), userId });
  }
  return out;
}

/** Whether `id` is in the index at `key`, whatever its type (the adapter's ZSET, 1.x's LIST, 2.x's SET). */
export async function inIndex(admin: Admin, key: string, id: string): Promise<boolean> {
  const type = String(await admin.type(key));
  if (type === "zset") return (await admin.zScore(key, id)) !== null;
  if (type === "list") return (await admin.sendCommand(["LPOS", key, id])) !== null;
  if (type === "set") return await admin.sIsMember(key, id);
  return false;
}

/**
 * The README's promise, checked on what is in Redis: every live session is in its owner's
 * index. Returns one line per session that is not (empty when the promise holds).
 */
export async function unindexedSessions(admin: Admin, ns: Namespaces): Promise<string[]> {
  const problems: string[] = [];
  for (const s of await liveSessions(admin, ns)) {
    const index = `${ns.userSession}:${s.userId}`;
    if (!await inIndex(admin, index, s.id)) {
      problems.push(`live session ${show(s.id)} of ${show(s.userId)} is not in its index`);
    }
  }
  return problems;
}

/** The message of an error, with its cause's. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}

/** One key as a snapshot holds it: type, value in a comparable form, absolute expiry (-1: none). */
export interface KeyState {
  type: string;
  value: unknown;
  expireAt: number;
}

/** Reads the state of each of KEYS in one step on the server (test-side only: not the adapter's). */
const DUMP = `
local out = {}
for i, key in ipairs(KEYS) do
  local t = redis.call('TYPE', key)['ok']
  local v = false
  if t == 'string' then v = redis.call('GET', key)
  elseif t == 'zset' then v = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  elseif t == 'list' then v = redis.call('LRANGE', key, 0, -1)
  elseif t == 'set' then v = redis.call('SMEMBERS', key)
  elseif t == 'hash' then v = redis.call('HGETALL', key) end
  out[i] = {t, v, redis.call('PEXPIRETIME', key)}
end
return out
`;

/**
 * Everything under `root` (type, value, members and scores, expiry), read a thousand keys at a
 * time by one script, so that namespaces of thousands of keys are quick to compare before and
 * after an operation.
 */
export async function snapshotAll(admin: Admin, root: string): Promise<Map<string, KeyState>> {
  const keys = await keysUnder(admin, root);
  const out = new Map<string, KeyState>();
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000);
    const states = await admin.sendCommand([
      "EVAL",
      DUMP,
      String(chunk.length),
      ...chunk,
    ]) as [string, unknown, number][];
    chunk.forEach((key, j) => {
      const [type, value, expireAt] = states[j];
      out.set(key, {
        type,
        value: type === "set" ? [...value as string[]].sort() : value,
        expireAt: Number(expireAt),
      });
    });
  }
  return out;
}

/** What differs between two snapshots, one line per key (at most `limit` lines). */
export function snapshotDiff(
  before: Map<string, KeyState>,
  after: Map<string, KeyState>,
  limit = 5,
): string[] {
  const lines: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(key), b = after.get(key);
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    if (a === undefined) lines.push(`${show(key)} appeared (${b!.type})`);
    else if (b === undefined) lines.push(`${show(key)} was deleted`);
    else if (a.type !== b.type) lines.push(`${show(key)} changed from a ${a.type} to a ${b.type}`);
    else if (a.expireAt !== b.expireAt && JSON.stringify(a.value) === JSON.stringify(b.value)) {
      lines.push(`${show(key)} changed expiry`);
    } else lines.push(`${show(key)} changed value`);
  }
  return lines.length > limit
    ? [...lines.slice(0, limit), `… and ${lines.length - limit} more keys`]
    : lines;
}
