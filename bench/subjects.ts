/**
 * The benchmark's subjects: the same session operations implemented by this adapter (its Lucia v1
 * entry, and its Lucia v2 entry), by the raw client (the floor), by the earlier official adapter
 * (2.1.2) and by connect-redis, over one client each; and this adapter again, as an A/A control.
 *
 * @module
 */
import { redis as redisV2 } from "adapter-session-redis-v2";
import { RedisStore } from "connect-redis";
import { redis } from "../mod.ts";
import { redis as redisLuciaV2 } from "../v2.ts";

/** A Lucia session as all subjects store it (Lucia v1 and v2 use the same fields). */
export type BenchSession = {
  id: string;
  user_id: string;
  active_expires: number;
  idle_expires: number;
};

/** What the operations return that the benchmark checks. */
export interface HasId {
  id: string;
}

/** What updateSession is given: some of the session's fields (Lucia v2's attributes too). */
export type SessionUpdate = Partial<BenchSession> & Record<string, unknown>;

/** The operations; a subject leaves out those it has no equivalent for. */
export interface Subject {
  /** Short key: ours, ours2, oursV2, v2, raw, connect, floor (research/server/floor.ts). */
  readonly key: SubjectKey;
  /** Client label for tables. */
  readonly client: string;
  setSession(session: BenchSession): Promise<unknown>;
  getSession(sessionId: string): Promise<HasId | null>;
  getSessionsByUserId?(userId: string): Promise<HasId[]>;
  deleteSession(sessionId: string): Promise<unknown>;
  deleteSessionsByUserId?(userId: string): Promise<unknown>;
  /** Lucia v2's updateSession (the v2 entry and 2.1.2 only). */
  updateSession?(sessionId: string, partial: SessionUpdate): Promise<unknown>;
}

/** The subjects' keys, in table order. */
export const SUBJECT_KEYS = ["ours", "ours2", "oursV2", "v2", "raw", "connect", "floor"] as const;
/** A subject's key. */
export type SubjectKey = typeof SUBJECT_KEYS[number];

/** Table names of the subjects. */
export const SUBJECT_NAMES: Record<SubjectKey, string> = {
  ours: "this adapter",
  ours2: "this adapter, run again (A/A control)",
  oursV2: "this adapter, Lucia v2 entry",
  v2: "adapter 2.1.2",
  raw: "raw floor",
  connect: "connect-redis 10",
  floor: "floor scripts",
};

/** The part of a node-redis 4/5/6 client the subjects use. */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
}

/** The part of Bun's RedisClient the subjects use. */
export interface BunRedisLike {
  send(command: string, args: string[]): Promise<unknown>;
  close(): void;
}

/** Session keys: every subject uses the `session:` prefix, so key sizes are equal. */
export const SESSION_PREFIX = "session:";
/** This adapter's default index prefix, which the raw floor's getSessionsByUserId reads. */
export const INDEX_PREFIX = "userSession:";

/**
 * This adapter over any client it accepts. With `key` "ours2" it is the A/A control: a second,
 * separate instance of the same adapter, measured beside the first (getSession only).
 */
export function oursSubject(
  client: unknown,
  clientLabel: string,
  key: "ours" | "ours2" = "ours",
): Subject {
  // deno-lint-ignore no-explicit-any
  const adapter = redis(client as any)();
  return adapterSubject(key, clientLabel, adapter);
}

/**
 * This adapter's Lucia v2 entry (v2.ts) with its defaults (2.1.2's keys: `session:<id>`,
 * `user_sessions:<userId>`), over any client it accepts, cluster clients included.
 */
export function oursV2Subject(client: unknown, clientLabel: string): Subject {
  // deno-lint-ignore no-explicit-any
  const adapter = redisLuciaV2(client as any)() as unknown as LuciaAdapter;
  return adapterSubject("oursV2", clientLabel, adapter);
}

/**
 * The earlier official adapter, 2.1.2, over a node-redis client, or a node-redis 4 cluster (its
 * API: get, set, sAdd, sMembers, del, sRem, each of one key).
 */
export function v2Subject(client: unknown, clientLabel: string): Subject {
  // deno-lint-ignore no-explicit-any
  const adapter = (redisV2 as any)(client)() as LuciaAdapter;
  return adapterSubject("v2", clientLabel, adapter);
}

/** A Lucia session adapter's operations (updateSession: Lucia v2's only). */
interface LuciaAdapter {
  setSession(s: BenchSession): Promise<void>;
  getSession(id: string): Promise<HasId | null>;
  getSessionsByUserId(userId: string): Promise<HasId[]>;
  deleteSession(id: string): Promise<void>;
  deleteSessionsByUserId(userId: string): Promise<void>;
  updateSession?(id: string, partial: SessionUpdate): Promise<void>;
}

/** A subject over a Lucia session adapter's operations. */
function adapterSubject(key: Subject["key"], clientLabel: string, adapter: LuciaAdapter): Subject {
  const subject: Subject = {
    key,
    client: clientLabel,
    setSession: (s) => adapter.setSession(s),
    getSession: (id) => adapter.getSession(id),
    getSessionsByUserId: (userId) => adapter.getSessionsByUserId(userId),
    deleteSession: (id) => adapter.deleteSession(id),
    deleteSessionsByUserId: (userId) => adapter.deleteSessionsByUserId(userId),
  };
  if (adapter.updateSession) {
    subject.updateSession = (id, partial) => adapter.updateSession!(id, partial);
  }
  return subject;
}

/** Sends one raw command; how depends on the client. */
export type RawSend = (args: string[]) => Promise<unknown>;

/** A raw-command function for node-redis or Bun's RedisClient. */
export function rawSender(client: NodeRedisLike | BunRedisLike): RawSend {
  if ("sendCommand" in client) return (args) => client.sendCommand(args);
  return ([name, ...args]) => client.send(name, args);
}

/**
 * The raw floor: the raw client doing the least that stores and loads a session (bench/README.md
 * lists its commands). getSessionsByUserId reads this adapter's own index, which the benchmark
 * fills through this adapter. No deleteSessionsByUserId.
 */
export function rawSubject(client: NodeRedisLike | BunRedisLike, clientLabel: string): Subject {
  const send = rawSender(client);
  return {
    key: "raw",
    client: clientLabel,
    setSession: (s) =>
      send(["SET", SESSION_PREFIX + s.id, JSON.stringify(s), "PXAT", String(s.idle_expires)]),
    getSession: async (id) => {
      const raw = await send(["GET", SESSION_PREFIX + id]);
      return raw === null ? null : JSON.parse(raw as string);
    },
    getSessionsByUserId: async (userId) => {
      const reply = await send([
        "SORT_RO",
        INDEX_PREFIX + userId,
        "BY",
        "nosort",
        "GET",
        "#",
        "GET",
        SESSION_PREFIX + "*",
      ]) as (string | null)[];
      const sessions: HasId[] = [];
      for (let i = 1; i < reply.length; i += 2) {
        if (reply[i] !== null) sessions.push(JSON.parse(reply[i] as string));
      }
      return sessions;
    },
    deleteSession: (id) => send(["DEL", SESSION_PREFIX + id]),
  };
}

/**
 * connect-redis 10 (express-session's Redis store) where an operation maps: set, get and
 * destroy. Its TTL is whole seconds (`SET key json EX ttl`), taken here from `idle_expires`.
 * Needs node-redis >= 5 (it passes `{ expiration: { type, value } }` to `set`).
 */
export function connectSubject(client: NodeRedisLike, clientLabel: string): Subject {
  const store = new RedisStore({
    // deno-lint-ignore no-explicit-any
    client: client as any,
    prefix: SESSION_PREFIX,
    ttl: (sess: unknown) =>
      Math.max(1, Math.ceil(((sess as BenchSession).idle_expires - Date.now()) / 1000)),
  });
  return {
    key: "connect",
    client: clientLabel,
    // deno-lint-ignore no-explicit-any
    setSession: (s) => store.set(s.id, s as any),
    getSession: async (id) => ((await store.get(id)) ?? null) as HasId | null,
    deleteSession: (id) => store.destroy(id),
  };
}
