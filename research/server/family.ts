/**
 * The subjects of the server modes over one node-redis connection, each behind its own
 * counting wrapper, so that the commands a subject sends at top level (what it pays for) can
 * be priced from `INFO commandstats`.
 *
 * @module
 */
import { redis } from "../../mod.ts";
import { countingClient, type Counts } from "../../bench/counting.ts";
import { nodeRedisClient } from "../../bench/load/clients.ts";
import {
  connectSubject,
  type NodeRedisLike,
  oursSubject,
  oursV2Subject,
  rawSender,
  rawSubject,
  type Subject,
  type SubjectKey,
  v2Subject,
} from "../../bench/subjects.ts";
import { floorSubject } from "./floor.ts";

/** A subject and the counts of what it sent. */
export interface Counted {
  subject: Subject;
  counts: Counts;
}

/** The subjects over one connection, or a pool of them. */
export interface ServerFamily {
  /** The first connection. */
  client: NodeRedisLike;
  /** A subject of this kind over its own counting wrapper. */
  make(key: SubjectKey): Counted;
  /** This adapter with options (e.g. a cap), over its own counting wrapper. */
  oursWith(options: { maxSessionsPerUser: number }): Counted;
  /** Who stores a cell's data: the subject itself, but the floor for the raw client's list. */
  seederFor(key: SubjectKey, op: string, own: Subject): Subject;
  close(): Promise<void>;
}

const LABEL = "node-redis";

/** The node-redis methods that send a command, which a pool hands out in turn. */
const SENDING = ["sendCommand", "get", "set", "del", "sAdd", "sRem", "sMembers", "mGet", "expire"];

/**
 * Several node-redis connections that look like one client: each command goes to the next
 * connection in turn (a request's commands may take different ones; requests of one user are
 * kept apart by the callers, so order within a user holds).
 */
function pool(clients: NodeRedisLike[]): NodeRedisLike {
  if (clients.length === 1) return clients[0];
  let next = 0;
  return new Proxy(clients[0], {
    get(target, property) {
      if (typeof property === "string" && SENDING.includes(property)) {
        return (...args: unknown[]) => {
          const client = clients[next++ % clients.length] as unknown as Record<
            string,
            (...a: unknown[]) => unknown
          >;
          return client[property](...args);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Opens `connections` node-redis connections to `url` and builds subjects over them (as one
 * client: see `pool`).
 */
export async function openServerFamily(url: string, connections = 1): Promise<ServerFamily> {
  const clients: NodeRedisLike[] = [];
  for (let i = 0; i < connections; i++) clients.push(await nodeRedisClient(url));
  const client = pool(clients);
  const floor = floorSubject(rawSender(client), LABEL);
  const make = (key: SubjectKey): Counted => {
    const { client: wrapped, counts } = countingClient(client);
    let subject: Subject;
    switch (key) {
      case "ours":
      case "ours2":
        subject = oursSubject(wrapped, LABEL, key);
        break;
      case "oursV2":
        subject = oursV2Subject(wrapped, LABEL);
        break;
      case "v2":
        subject = v2Subject(wrapped, LABEL);
        break;
      case "connect":
        subject = connectSubject(wrapped, LABEL);
        break;
      case "raw":
        subject = rawSubject(wrapped, LABEL);
        break;
      case "floor":
        subject = floorSubject(rawSender(wrapped), LABEL);
        break;
    }
    return { subject, counts };
  };
  return {
    client: clients[0],
    make,
    oursWith(options) {
      const { client: wrapped, counts } = countingClient(client);
      // deno-lint-ignore no-explicit-any
      const adapter = redis(wrapped as any, options)();
      const subject: Subject = {
        key: "ours",
        client: LABEL,
        setSession: (s) => adapter.setSession(s),
        getSession: (id) => adapter.getSession(id),
        getSessionsByUserId: (u) => adapter.getSessionsByUserId(u),
        deleteSession: (id) => adapter.deleteSession(id),
        deleteSessionsByUserId: (u) => adapter.deleteSessionsByUserId(u),
      };
      return { subject, counts };
    },
    seederFor: (key, op, own) =>
      key === "raw" && op.startsWith("getSessionsByUserId") ? floor : own,
    close: async () => {
      for (const c of clients) await c.quit();
    },
  };
}
