/**
 * Walking the keys of a namespace on every primary with `SCAN … MATCH … COUNT`, a batch at a
 * time, and the per-key commands sent for each batch at once (node-redis pipelines commands
 * sent together).
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Command, Reply } from "../clients/connection.ts";
import { timeOf } from "../clients/reply.ts";
import type { Context, Node } from "./context.ts";
import { messageOf } from "./io.ts";

/**
 * Keys asked of each `SCAN` round (a hint: Redis may return more or fewer): enough to make the
 * round trips few, while one round still takes the server well under a millisecond.
 */
export const SCAN_COUNT = 1000;

/** Session keys read at once by {@linkcode sessionValues}: as many as one `SCAN` round gives. */
const GET_BATCH = 1000;

/**
 * Calls `each` with every batch of keys under `pattern` on `node`, in order, one batch at a time;
 * the next `SCAN` round (`count` keys asked) is already on its way while `each` works. A key may
 * come twice if the server rehashes meanwhile (`SCAN`'s guarantee is only that every key present
 * throughout is returned).
 */
export async function scanNode(
  node: Node,
  pattern: string,
  each: (keys: string[]) => Promise<void>,
  count: number = SCAN_COUNT,
): Promise<void> {
  const round = async (cursor: string) => {
    let reply: Reply;
    try {
      reply = await node.send(["SCAN", cursor, "MATCH", pattern, "COUNT", String(count)]);
    } catch (error) {
      // Not a CliError: a command that stops on it says so (migrate: "run it again").
      throw new Error(`SCAN failed on ${node.address}: ${messageOf(error)}`, { cause: error });
    }
    if (!Array.isArray(reply) || !Array.isArray(reply[1])) {
      throw new TypeError(`Unexpected reply from Redis to SCAN on ${node.address}`);
    }
    const keys = reply[1].filter((key): key is string => typeof key === "string");
    return { next: String(reply[0]), keys };
  };
  let pending = round("0");
  for (;;) {
    const { next, keys } = await pending;
    if (next !== "0") {
      pending = round(next);
      pending.catch(() => {}); // Awaited next round; until then not an unhandled rejection.
    }
    if (keys.length > 0) await each(keys);
    if (next === "0") return;
  }
}

/** The reply, or `fallback` when Redis answers with an error (`WRONGTYPE`, `NOPERM`). */
export async function replyOr<T>(pending: Promise<Reply>, fallback: T): Promise<Reply | T> {
  try {
    return await pending;
  } catch {
    return fallback;
  }
}

/** The node's clock (`TIME`), in Unix milliseconds: the clock that expires its keys. */
export async function serverTime(node: Node): Promise<number> {
  return timeOf(await node.send(["TIME"]));
}

/**
 * The command that lists the ids an index holds, by the index's type (the sorted set, or the list
 * or set an earlier adapter left); undefined for a type no adapter writes.
 */
export function membersCommand(index: string, type: Reply): Command | undefined {
  if (type === "zset") return commands.zrange(index, "0", "-1");
  if (type === "list") return commands.lrange(index, "0", "-1");
  if (type === "set") return commands.smembers(index);
  return undefined;
}

/**
 * `[id, value]` for each of these ids once, the value of its session key read with `GET`
 * (routed by key, a batch at a time): null for a key that is missing or holds no string.
 */
export async function sessionValues(
  context: Context,
  ids: readonly string[],
): Promise<[string, Reply][]> {
  const unique = [...new Set(ids)];
  const out: [string, Reply][] = [];
  for (let i = 0; i < unique.length; i += GET_BATCH) {
    const chunk = unique.slice(i, i + GET_BATCH);
    const values = await Promise.all(chunk.map((id) => {
      const key = context.keys.session(id);
      return replyOr(context.connection.send(commands.get(key)), null);
    }));
    chunk.forEach((id, j) => out.push([id, values[j]]));
  }
  return out;
}
