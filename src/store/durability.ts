/**
 * The `durability` option at work: after a revocation's writes, `WAIT replicas timeout` on the
 * connection that wrote (routed by a key written, on a cluster: once per primary), and a
 * `DurabilityError` when fewer replicas than asked confirm them.
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Connection } from "../clients/connection.ts";
import { DurabilityError } from "../core/errors.ts";
import { keySlot } from "../clients/key_slot.ts";
import type { Durability } from "../core/options.ts";

/**
 * Waits for the replicas to confirm an operation's writes (`written`: the keys it wrote, the
 * first one naming the node on a single server). Does nothing when the option is off.
 *
 * @internal
 */
export type ConfirmWrites = (
  operation: string,
  keyForLog: string,
  written: readonly string[],
) => Promise<void>;

/**
 * One key per primary among `written` (by the client's map, else per hash slot): `WAIT` covers
 * every earlier write of the connection it is sent on, and a cluster client has one connection
 * per primary. Several `WAIT`s on one connection would run one after the other, each up to the
 * timeout when replicas lag.
 */
function onePerNode(connection: Connection, written: readonly string[]): string[] {
  const byNode = new Map<string, string>();
  for (const key of written) {
    const node = connection.primaryOf?.(key) ?? `slot ${keySlot(key)}`;
    if (!byNode.has(node)) byNode.set(node, key);
  }
  return [...byNode.values()];
}

/** How the stores confirm their revocations under `durability` (or not at all). @internal */
export function writeConfirmer(
  connection: Connection,
  durability: Durability | undefined,
): ConfirmWrites {
  if (durability === undefined) return () => Promise.resolve();
  const { replicas, timeout } = durability;
  return async (operation, keyForLog, written) => {
    const routes = connection.cluster ? onePerNode(connection, written) : written.slice(0, 1);
    const replies = await Promise.all(
      routes.map((key) => connection.send(commands.wait(replicas, timeout, key))),
    );
    const counts = replies.map((reply) => {
      if (typeof reply !== "number") {
        throw new TypeError(`Unexpected reply from Redis to WAIT: ${JSON.stringify(reply)}`);
      }
      return reply;
    });
    const confirmed = Math.min(...counts);
    if (confirmed < replicas) {
      throw new DurabilityError(operation, keyForLog, { confirmed, replicas, timeout });
    }
  };
}
