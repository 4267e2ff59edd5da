/**
 * The seam between the session logic and a Redis client. This file imports nothing: every
 * client's connection module depends on it, never the other way round.
 *
 * @module
 */

/**
 * A Redis reply, normalised by each client's connection: `null`, a string (binary strings
 * decoded as UTF-8), a number, or an array of those.
 *
 * @internal
 */
export type Reply = null | string | number | Reply[];

/**
 * One Redis command, as built by `commands.ts`: its words, and which of them are keys. A
 * connection routes it by its first key (on a cluster) and treats exactly those words as keys
 * (ioredis's `keyPrefix`), so no connection needs to know any command by name.
 *
 * @internal
 */
export interface Command {
  /** The command's name, then its arguments, all strings: `["GET", "session:abc"]`. */
  readonly args: string[];
  /**
   * The indexes in `args` of the key arguments, the one to route by first: `[1]` for `GET`,
   * `[]` for a command without keys (`TIME`, `INFO`, or a script given no keys).
   */
  readonly keys: readonly number[];
  /**
   * A key to route by that is not one of the arguments (`WAIT` after a write to that key goes to
   * the node that took the write): a cluster connection routes by it instead of the first key. It
   * is used for routing only, never sent, and never given a client's key prefix.
   */
  readonly route?: string;
}

/**
 * What the session logic needs from a Redis client: send one command, get its reply. Redis
 * error replies reject the promise with the client's own error, less any copy of the command's
 * arguments the client attached to it (they carry session ids).
 *
 * @internal
 */
export interface Connection {
  /**
   * Sends `command`. A cluster client routes it by its `route` if it has one, else by its first
   * key (`args[keys[0]]`), and sends one without either, or whose key is `""`, to any node. Keys
   * are sent exactly as given.
   */
  send(command: Command): Promise<Reply>;
  /**
   * A prefix the client itself puts before every key (ioredis's `keyPrefix`), or `""`. Every key
   * name the adapter sends, and every key prefix it passes to a script as an argument, must
   * start with it: keys then land at `${keyPrefix}${namespace}:${id}`.
   */
  readonly keyPrefix: string;
  /**
   * True for a Redis Cluster client: a command may only touch keys of one slot, so the store
   * takes the cluster path (one key per command or script).
   */
  readonly cluster: boolean;
  /**
   * Told that an operation did not settle within its deadline: a cluster connection whose client
   * cannot find a failed-over primary by itself uses it to make the client look again.
   */
  stalled?(): void;
  /**
   * Why `WAIT` cannot tell whether this client's writes reached the replicas, if it cannot: set by
   * a client whose commands may each travel over a different connection (HTTP).
   */
  readonly noWait?: string;
  /**
   * The address of the primary serving `key` by the cluster client's own map (`undefined` when
   * unknown): a cluster connection has it, so that one `WAIT` per node follows an operation's
   * writes to several keys.
   */
  primaryOf?(key: string): string | undefined;
  /**
   * Opens a dedicated connection to the same server (a duplicate of the client, speaking RESP2,
   * never reconnecting by itself, never keeping the process alive), for the `cache` option's
   * invalidations. Resolves once it is connected; returns undefined, opening nothing, while the
   * client itself is not open (or once it has been closed). Absent for a client that cannot hold
   * one: see `noSubscriber`.
   */
  subscriber?(events: SubscriberEvents): Promise<Subscriber> | undefined;
  /** Why this client cannot hold a dedicated subscribed connection, if it cannot. */
  readonly noSubscriber?: string;
}

/**
 * What a dedicated connection reports. Each is called for that connection only, and nothing is
 * called once `closed` has been.
 *
 * @internal
 */
export interface SubscriberEvents {
  /**
   * A Pub/Sub message on a channel it subscribed to. Its payload is a list of strings or null:
   * Redis's `__redis__:invalidate` messages carry the keys that changed, or null for all of them
   * (`FLUSHDB`, `FLUSHALL`).
   */
  message(channel: string, payload: string[] | null): void;
  /**
   * The connection is gone (an error, the server closed it, or the client it duplicates was
   * closed) and will not come back: a new one must be opened.
   */
  closed(error: unknown): void;
}

/**
 * A dedicated connection opened by {@linkcode Connection.subscriber}.
 *
 * @internal
 */
export interface Subscriber {
  /** Sends a command on it (before subscribing; only `PING` after). */
  send(args: string[]): Promise<Reply>;
  /** Subscribes it to `channel`: resolves once Redis has confirmed. */
  subscribe(channel: string): Promise<void>;
  /** Closes it (without calling `closed`). */
  close(): void;
}

/**
 * One supported Redis client: how to recognise it by its shape, and how to talk to it.
 *
 * @internal
 */
export interface ClientKind {
  /** The client's name, as the table of clients in docs/clients.md names it. */
  readonly name: string;
  /** How to make one, for the error that lists the supported clients. */
  readonly howToMake: string;
  /** The npm package users install for it, with the versions supported: `"redis@^4.0.0"`. */
  readonly npm?: string;
  /** True when `client` is one of these. Never connects or sends anything. */
  detect(client: unknown): boolean;
  /** A connection over a client that `detect` accepted. Sends nothing. */
  connect(client: never): Connection;
}
