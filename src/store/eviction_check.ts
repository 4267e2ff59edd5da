/**
 * The one-time check of the server's eviction policy: a server that may evict keys can evict a
 * user's session index, and "sign out everywhere" would then miss that user's sessions.
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Connection } from "../clients/connection.ts";
import { infoField } from "../clients/reply.ts";

const checked = new WeakSet<object>();

/**
 * What `INFO` says of eviction: the policy, and the memory limit in bytes (0: none, so nothing
 * is ever evicted). Undefined fields were not in the reply.
 *
 * @internal
 */
export interface EvictionSettings {
  readonly policy?: string;
  readonly maxmemory?: number;
}

/** The eviction settings an `INFO` (or `INFO memory`) reply gives. @internal */
export function evictionSettings(info: string): EvictionSettings {
  const policy = infoField(info, "maxmemory_policy");
  const maxmemory = infoField(info, "maxmemory");
  return { policy, maxmemory: maxmemory === undefined ? undefined : Number(maxmemory) };
}

/**
 * The rule: Redis may evict the adapter's keys (a user's index among them) under any policy but
 * `noeviction` once a memory limit is set. Unknown settings are not taken for a risk.
 *
 * @internal
 */
export function mayEvict({ policy, maxmemory }: EvictionSettings): boolean {
  return policy !== undefined && policy !== "noeviction" && maxmemory !== 0;
}

/**
 * The warning for a policy that can evict the adapter's keys, or undefined when it cannot.
 *
 * @internal
 */
export function evictionWarning(info: string): string | undefined {
  const settings = evictionSettings(info);
  if (!mayEvict(settings)) return undefined;
  const { policy, maxmemory } = settings;
  return `@lucia-auth/adapter-session-redis: Redis's maxmemory-policy is "${policy}"` +
    (maxmemory === undefined ? "" : ` with maxmemory ${maxmemory} bytes`) +
    ": when memory runs out, Redis may evict a user's session index, and signing that user " +
    'out everywhere would then miss live sessions. Set maxmemory-policy to "noeviction" (see ' +
    'the package\'s docs/server.md, "Redis server settings").';
}

/**
 * Reads the eviction policy once per client (one `INFO`, sent beside the first operation and
 * never awaited by it) and warns with `console.warn` when it can evict keys. An error (a server
 * or an ACL that refuses `INFO`, a connection not yet up) is ignored: the check is advice.
 *
 * @internal
 */
export function checkEvictionPolicy(client: unknown, connection: Connection): void {
  const key = typeof client === "object" && client !== null ? client : connection;
  if (checked.has(key)) return;
  checked.add(key);
  connection.send(commands.info("memory")).then((reply) => {
    const warning = typeof reply === "string" ? evictionWarning(reply) : undefined;
    if (warning !== undefined) console.warn(warning);
  }).catch(() => {});
}
