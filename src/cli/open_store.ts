/**
 * The adapter's own store over the tool's connection, for the commands that read or revoke
 * sessions the way the adapter does (`sessions`, `revoke`, `revoke-user`).
 *
 * @module
 */
import type { RedisClient } from "../clients/table.ts";
import { openStore } from "../adapter/shared.ts";
import type { Keys } from "../core/keys.ts";
import type { Store } from "../store/store.ts";
import type { Context } from "./context.ts";

/**
 * The store and key names for the context's namespaces, as `redis()` would open them: no
 * deadline, no cap, and no eviction warning (`doctor` checks that).
 */
export function storeOf(context: Context): { keys: Keys; store: Store } {
  return openStore(context.redis.client as RedisClient, {
    keys: context.keys,
    deadline: undefined,
    maxSessionsPerUser: 0,
    evictionWarning: false,
    durability: undefined,
  });
}
