/**
 * The clients the load script measures through: per client kind, a "family" of subjects over
 * the measured connection and over a direct one, and an admin connection for FLUSHDB and INFO.
 *
 * @module
 */
import { createClient } from "redis5";
import { countingClient, type Counts } from "../counting.ts";
import {
  type BunRedisLike,
  connectSubject,
  type NodeRedisLike,
  oursSubject,
  oursV2Subject,
  rawSender,
  rawSubject,
  type Subject,
  type SubjectKey,
  v2Subject,
} from "../subjects.ts";
import { log } from "./common.ts";
import type { ClientKind, LoadConfig } from "./types.ts";

/** One client kind's subjects and connections. */
export interface Family {
  kind: ClientKind;
  label: string;
  /** Subjects over the measured connection. */
  subjects: Map<SubjectKey, Subject>;
  /** The same subjects over a direct connection, for preparing data. */
  prep: Map<SubjectKey, Subject>;
  /** Builds a subject over a wrapped client (for counting). */
  wrap(key: SubjectKey): { subject: Subject; counts: Counts };
  close(): Promise<void>;
}

/** A subject over `client`, or undefined where the subject does not exist for that client. */
function makeSubject(
  key: SubjectKey,
  client: NodeRedisLike | BunRedisLike,
  label: string,
): Subject | undefined {
  const isNodeRedis = "sendCommand" in client;
  switch (key) {
    case "ours":
    case "ours2":
      return oursSubject(client, label, key);
    case "oursV2":
      return oursV2Subject(client, label);
    case "raw":
      return rawSubject(client, label);
    case "v2":
      return isNodeRedis ? v2Subject(client as NodeRedisLike, label) : undefined;
    case "connect":
      return isNodeRedis ? connectSubject(client as NodeRedisLike, label) : undefined;
    case "floor":
      return undefined; // only in the server modes (research/server/)
  }
}

/** A connected node-redis 5 client that logs its errors. */
export async function nodeRedisClient(url: string): Promise<NodeRedisLike> {
  const client = createClient({ url });
  client.on("error", (error: unknown) => log(`node-redis error: ${String(error)}`));
  await client.connect();
  return client as unknown as NodeRedisLike;
}

/** A connected Bun RedisClient (imported only when asked for, so only on Bun). */
async function bunRedisClient(url: string): Promise<BunRedisLike> {
  const specifier = "bun";
  const { RedisClient } = await import(specifier);
  const client = new RedisClient(url) as BunRedisLike;
  await client.send("PING", []);
  return client;
}

/** Connects a client kind twice (measured URL and direct URL) and builds its subjects. */
export async function openFamily(kind: ClientKind, config: LoadConfig): Promise<Family> {
  const open = kind === "bun" ? bunRedisClient : nodeRedisClient;
  const label = kind === "bun" ? "Bun RedisClient" : "node-redis";
  const measured = await open(config.url);
  const direct = await open(config.directUrl);
  const subjects = new Map<SubjectKey, Subject>();
  const prep = new Map<SubjectKey, Subject>();
  for (const key of [...config.subjects, ...(config.extraSubjects ?? [])]) {
    // The A/A control only gives the noise band: measured over node-redis only.
    if (key === "ours2" && kind !== "node-redis") continue;
    const subject = makeSubject(key, measured, label);
    if (!subject) continue;
    subjects.set(key, subject);
    prep.set(key, makeSubject(key, direct, label)!);
  }
  return {
    kind,
    label,
    subjects,
    prep,
    wrap(key) {
      const { client, counts } = countingClient(direct);
      return { subject: makeSubject(key, client, label)!, counts };
    },
    async close() {
      for (const c of [measured, direct]) {
        if ("quit" in c) await c.quit();
        else c.close();
      }
    },
  };
}

/** A direct connection for FLUSHDB, DBSIZE, SCAN and INFO. */
export interface Admin {
  send(args: string[]): Promise<unknown>;
  info(section: string, field: string): Promise<number>;
  close(): Promise<void>;
}

/** Connects the admin connection. */
export async function openAdmin(url: string): Promise<Admin> {
  const client = await nodeRedisClient(url);
  const send = rawSender(client);
  return {
    send,
    async info(section, field) {
      const text = String(await send(["INFO", section]));
      const m = new RegExp(`^${field}:(\\S+)`, "m").exec(text);
      if (!m) throw new Error(`INFO ${section} has no ${field}`);
      return Number(m[1]);
    },
    close: () => client.quit().then(() => undefined),
  };
}
