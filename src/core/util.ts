/**
 * Small helpers shared by several modules.
 *
 * @module
 */

/** The latest time a `Date` (and so Lucia) can hold, in ms: the latest expiry Redis is given. @internal */
export const MAX_TIME = 8_640_000_000_000_000;

/** How every error thrown by `redis()` for bad arguments begins. @internal */
export const CANNOT_CREATE = "Cannot create the Redis session adapter";

/** True for objects and functions (a client may be either), false for null. @internal */
export function isObject(value: unknown): value is Record<string, unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null;
}

/**
 * A short description of a value for error messages: `null`, its `typeof` (`string`,
 * `undefined`), `a function`, `an object` or `an instance of Map`.
 *
 * @internal
 */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return "a function";
  if (typeof value !== "object") return typeof value;
  const constructor = (value as { constructor?: { name?: unknown } }).constructor;
  const name = typeof constructor === "function" ? constructor.name : undefined;
  return typeof name === "string" && name !== "" && name !== "Object"
    ? `an instance of ${name}`
    : "an object";
}

/**
 * Why the `cache` option is refused for a cluster client (`Connection.noSubscriber`).
 *
 * @internal
 */
export const CLUSTER_NO_SUBSCRIBER = "on a Redis Cluster, invalidations would need a tracking " +
  "connection to every primary, following the cluster's map; the cache supports a single server " +
  "(or Sentinel) only";

/** A client's own `on`/`removeListener` (node-redis and ioredis clients are EventEmitters). */
interface Emitter {
  on(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
}

/** Per client: what to call on its `end` event, behind the one listener added to it. */
const endListeners = new WeakMap<object, Set<() => void>>();

/**
 * Calls `callback` when `client` emits `end` (it was closed), through one listener per client
 * however many adapters wait on it; returns the function that stops waiting.
 *
 * @internal
 */
export function onClientEnd(client: Emitter, callback: () => void): () => void {
  let callbacks = endListeners.get(client);
  if (callbacks === undefined) {
    const all = callbacks = new Set();
    endListeners.set(client, all);
    client.on("end", () => {
      for (const f of [...all]) f();
    });
  }
  callbacks.add(callback);
  return () => void callbacks.delete(callback);
}
