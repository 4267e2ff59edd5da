/**
 * The subjects of the server modes over one node-redis connection, each behind its own
 * counting wrapper, so that the commands a subject sends at top level (what it pays for) can
 * be priced from `INFO commandstats`.
 *
 * @module
 */
import { redis } from "../../mod.ts";
import { countingClient, type Counts } from "../counting.ts";
import { nodeRedisClient } from "../load/clients.ts";
import {
  connectSubject,
  type NodeRedisLike,
  oursSubject,
  rawSender,
  rawSubject,
  type Subject,
  type SubjectKey,
  v2Subject,
} from "../subjects.ts";
import { floorSubject } from "./floor.ts";

/** A subject and the counts of what it sent. */
export interface Counted {
  subject: Subject;
  counts: Counts;
}

/** The subjects over one connection. */
export interface ServerFamily {
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

/** Opens a node-redis connection to `url` and builds subjects over it. */
export async function openServerFamily(url: string): Promise<ServerFamily> {
  const client = await nodeRedisClient(url);
  const floor = floorSubject(rawSender(client), LABEL);
  const make = (key: SubjectKey): Counted => {
    const { client: wrapped, counts } = countingClient(client);
    let subject: Subject;
    switch (key) {
      case "ours":
      case "ours2":
        subject = oursSubject(wrapped, LABEL, key);
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
    client,
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
    close: () => client.quit().then(() => undefined),
  };
}
