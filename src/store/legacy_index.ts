/**
 * Reading a user's index that an earlier adapter left: a list (2.x's `LPUSH`) or a set, where
 * this adapter keeps a sorted set. Both stores read one as it is; the cluster path converts it
 * (`cluster_legacy.ts`), the single server's scripts convert it in Lua.
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Connection, Reply } from "../clients/connection.ts";
import { replyShape } from "../clients/reply.ts";

/**
 * The ids a legacy index holds (`LRANGE` of a list, `SMEMBERS` of a set), by its `kind` (the reply
 * to `TYPE`, read here when not given); undefined when the key holds neither.
 *
 * @internal
 */
export async function legacyIds(
  connection: Connection,
  index: string,
  kind?: Reply,
): Promise<string[] | undefined> {
  kind ??= await connection.send(commands.type(index));
  if (kind !== "list" && kind !== "set") return undefined;
  const reply = await connection.send(
    kind === "list" ? commands.lrange(index, "0", "-1") : commands.smembers(index),
  );
  if (!Array.isArray(reply) || !reply.every((id) => typeof id === "string")) {
    const command = kind === "list" ? "LRANGE" : "SMEMBERS";
    throw new TypeError(`Unexpected reply from Redis to ${command}: ${replyShape(reply)}`);
  }
  return reply as string[];
}
