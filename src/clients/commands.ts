/**
 * The Redis commands the adapter sends, each built with the positions of its keys (a
 * {@linkcode Command}): the connections route by the first key and apply a client's key prefix
 * to exactly those arguments, so none of them keeps a list of command names. Only commands the
 * adapter and its command line send through a `Connection` are here.
 *
 * Import the module as a namespace (`import * as commands from "./commands.ts"`): `eval` cannot
 * be the name of a binding, and `get`, `set`, `type` read best qualified.
 *
 * @module
 */
import type { Command } from "./connection.ts";

/** A command whose one key comes right after its name: `NAME key …rest`. */
function oneKey(name: string, key: string, rest: readonly string[] = []): Command {
  return { args: [name, key, ...rest], keys: [1] };
}

/** A script call: `NAME script numkeys key… arg…`, its keys at 3 to 3 + numkeys - 1. */
function script(
  name: string,
  body: string,
  keys: readonly string[],
  args: readonly string[],
): Command {
  return {
    args: [name, body, String(keys.length), ...keys, ...args],
    keys: keys.map((_, i) => 3 + i),
  };
}

/** `GET key`. @internal */
export function get(key: string): Command {
  return oneKey("GET", key);
}

/**
 * `SET key value …options`, the options as Redis takes them (`"PXAT", at, "NX"`); none of them is
 * a key.
 *
 * @internal
 */
export function set(key: string, value: string, ...options: string[]): Command {
  return oneKey("SET", key, [value, ...options]);
}

/** `TYPE key`. @internal */
export function type(key: string): Command {
  return oneKey("TYPE", key);
}

/** `PTTL key`. @internal */
export function pttl(key: string): Command {
  return oneKey("PTTL", key);
}

/** `PEXPIRETIME key` (Redis >= 7.0). @internal */
export function pexpiretime(key: string): Command {
  return oneKey("PEXPIRETIME", key);
}

/** `LLEN key`. @internal */
export function llen(key: string): Command {
  return oneKey("LLEN", key);
}

/** `SCARD key`. @internal */
export function scard(key: string): Command {
  return oneKey("SCARD", key);
}

/** `LRANGE key start stop`. @internal */
export function lrange(key: string, start: string, stop: string): Command {
  return oneKey("LRANGE", key, [start, stop]);
}

/** `SMEMBERS key`. @internal */
export function smembers(key: string): Command {
  return oneKey("SMEMBERS", key);
}

/** `MGET key…`: every argument is a key (all in one slot on a cluster). @internal */
export function mget(keys: readonly string[]): Command {
  return { args: ["MGET", ...keys], keys: keys.map((_, i) => i + 1) };
}

/** `ZRANGE key start stop …options` (`"WITHSCORES"`, say); none of the options is a key. @internal */
export function zrange(key: string, start: string, stop: string, ...options: string[]): Command {
  return oneKey("ZRANGE", key, [start, stop, ...options]);
}

/**
 * `SORT_RO key BY nosort GET pattern…` (Redis >= 7.0): the members of `key` in stored order, each
 * followed by what its `GET` patterns name (`#` for the member itself). The patterns but `#` are
 * key names with a `*`, and count as keys: a client's key prefix belongs in front of them too
 * (ioredis puts its `keyPrefix` there). `nosort` does not (it stays a pattern without `*` either
 * way, which tells Redis not to sort).
 *
 * @internal
 */
export function sortRo(key: string, get: readonly string[]): Command {
  const args = ["SORT_RO", key, "BY", "nosort", ...get.flatMap((pattern) => ["GET", pattern])];
  const keys = [1];
  get.forEach((pattern, i) => {
    if (pattern !== "#") keys.push(5 + 2 * i);
  });
  return { args, keys };
}

/** `TIME`: the server's clock. No key, so a cluster may answer from any node. @internal */
export function time(): Command {
  return { args: ["TIME"], keys: [] };
}

/** `INFO section`. No key, so a cluster may answer from any node. @internal */
export function info(section: string): Command {
  return { args: ["INFO", section], keys: [] };
}

/**
 * `WAIT numreplicas timeout`: blocks this connection until `replicas` replicas have acknowledged
 * every write it sent before, or `timeout` ms have passed; replies with how many did. It has no
 * key, but it must reach the node that took the write: `routeKey` (the key written) routes it on a
 * cluster, and is neither sent nor prefixed.
 *
 * @internal
 */
export function wait(replicas: number, timeout: number, routeKey: string): Command {
  return { args: ["WAIT", String(replicas), String(timeout)], keys: [], route: routeKey };
}

/**
 * `EVAL source numkeys key… arg…`: runs a Lua script (and loads it into the script cache).
 * Exported as `eval`, which cannot be the name of a binding: call it as `commands.eval(…)`.
 *
 * @internal
 */
function evalCommand(source: string, keys: readonly string[], args: readonly string[]): Command {
  return script("EVAL", source, keys, args);
}

/** `EVALSHA sha numkeys key… arg…`: runs a cached script by its SHA-1. @internal */
export function evalsha(sha: string, keys: readonly string[], args: readonly string[]): Command {
  return script("EVALSHA", sha, keys, args);
}

/**
 * `EVAL_RO source numkeys key… arg…` (Redis >= 7.0): runs a read-only script (one flagged
 * `#!lua flags=no-writes`), which a replica may run too.
 *
 * @internal
 */
export function evalRo(source: string, keys: readonly string[], args: readonly string[]): Command {
  return script("EVAL_RO", source, keys, args);
}

/**
 * `EVALSHA_RO sha numkeys key… arg…` (Redis >= 7.0): runs a cached read-only script by its SHA-1.
 *
 * @internal
 */
export function evalshaRo(sha: string, keys: readonly string[], args: readonly string[]): Command {
  return script("EVALSHA_RO", sha, keys, args);
}

export { evalCommand as eval };
