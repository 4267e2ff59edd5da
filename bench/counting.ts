/**
 * A counting wrapper around a Redis client: counts the commands the code under test issues and
 * the round trips they take (a round trip begins whenever a command is sent while none is
 * awaiting its reply: bench/README.md), without changing what is sent.
 *
 * @module
 */

/** Command counts gathered by a {@linkcode countingClient}. */
export interface Counts {
  /** Commands sent. */
  commands: number;
  /** Round trips (see the module docs). */
  roundTrips: number;
  /** Commands sent, by lower-case name (as in `INFO commandstats`). */
  byName: Map<string, number>;
  /** Upper-case command names grouped by round trip, in order (since the last reset). */
  trips: string[][];
}

/** node-redis methods that send exactly one command (those the subjects call). */
const NODE_REDIS_METHODS: Record<string, string> = {
  get: "get",
  set: "set",
  del: "del",
  sAdd: "sadd",
  sRem: "srem",
  sMembers: "smembers",
  mGet: "mget",
  expire: "expire",
};

/**
 * Wraps a node-redis client or cluster (methods above and `sendCommand`) or Bun's RedisClient
 * (`send`) in a Proxy that counts every command it is asked to send. Everything else passes
 * through.
 */
export function countingClient<T extends object>(client: T): { client: T; counts: Counts } {
  const counts: Counts = { commands: 0, roundTrips: 0, byName: new Map(), trips: [] };
  let inFlight = 0;
  const track = (name: string, promise: Promise<unknown>) => {
    if (inFlight === 0) {
      counts.roundTrips++;
      counts.trips.push([]);
    }
    inFlight++;
    counts.trips[counts.trips.length - 1]?.push(name.toUpperCase());
    counts.commands++;
    counts.byName.set(name, (counts.byName.get(name) ?? 0) + 1);
    // Registered before the caller's own `await`, so it runs first when the reply arrives.
    promise.then(() => inFlight--, () => inFlight--);
    return promise;
  };
  const wrapped = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function" || typeof property !== "string") return value;
      if (property === "sendCommand") {
        // A client's sendCommand(args, options); a node-redis cluster's (firstKey, isReadonly,
        // args).
        return (...params: unknown[]) => {
          const args = (Array.isArray(params[0]) ? params[0] : params[2]) as string[];
          return track(String(args[0]).toLowerCase(), value.apply(target, params));
        };
      }
      if (property === "send" && !("sendCommand" in target)) {
        return (name: string, args: string[]) =>
          track(name.toLowerCase(), value.call(target, name, args));
      }
      const name = NODE_REDIS_METHODS[property];
      if (name !== undefined) {
        return (...args: unknown[]) => track(name, value.apply(target, args));
      }
      return value.bind(target);
    },
  });
  return { client: wrapped, counts };
}

/** Sets all counts back to zero. */
export function resetCounts(counts: Counts): void {
  counts.commands = 0;
  counts.roundTrips = 0;
  counts.byName.clear();
  counts.trips = [];
}
