/**
 * The `cache` option at work: `getSession` answers from an in-process LRU of session values,
 * which Redis itself keeps fresh (server-assisted client-side caching).
 *
 * A dedicated connection (`Connection.subscriber`: a duplicate of the user's client) runs
 * `CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX <session key prefix>`, then subscribes
 * to `__redis__:invalidate`: from then on Redis sends it the name of every session key that
 * changes (set, deleted, expired, evicted), and null for `FLUSHDB`/`FLUSHALL`. In broadcasting
 * mode Redis keeps no per-key state, and the reads can go over any connection.
 *
 * The rules:
 * - An entry is dropped when Redis says its key changed, when `maxAge` has passed since it was
 *   read, and at the session's idle expiry (when Redis drops the key), whichever comes first.
 * - A read in flight when its key is invalidated does not store what it read (the placeholder
 *   technique of Redis's client-side caching docs: the invalidation may arrive before the reply
 *   of a read that the change made stale).
 * - The adapter's own writes drop their keys before they are sent and again once they are done,
 *   so that an instance reads its own writes without waiting for the invalidation.
 * - While the dedicated connection is not confirmed up (opening, failed, or silent past the
 *   heartbeat), the cache is empty and every read goes to Redis. Losing the connection (a server
 *   restart or failover included) empties it; a new connection is opened at a later read.
 * - The heartbeat: when a read comes and the last confirmation is older than
 *   {@linkcode HEARTBEAT_INTERVAL}, a `PING` goes over the dedicated connection; its reply
 *   confirms that every invalidation sent before it has arrived. With no confirmation for
 *   `HEARTBEAT_INTERVAL + HEARTBEAT_TIMEOUT`, entries are not served (and are dropped); a `PING`
 *   unanswered for `HEARTBEAT_TIMEOUT` closes the connection. So when the link dies without a
 *   word, an entry is served at most `min(maxAge, HEARTBEAT_INTERVAL + HEARTBEAT_TIMEOUT)` after
 *   the last moment the link was known to deliver.
 *
 * No timer is used: every check is made when a read comes, so the cache never keeps a process
 * alive (and the dedicated connection is unref'd and closed with the user's client).
 *
 * @module
 */
import type { Connection, Subscriber } from "../clients/connection.ts";
import { Lru } from "../core/lru.ts";
import type { CacheSettings } from "../core/options.ts";
import type { Store } from "./store.ts";

/**
 * How old the last confirmation of the invalidation connection may get before a read sends a
 * `PING` over it, in ms.
 *
 * @internal
 */
export const HEARTBEAT_INTERVAL = 1000;

/**
 * How long a `PING` may go unanswered before the connection is given up, and for how long
 * after {@linkcode HEARTBEAT_INTERVAL} entries are still served without a confirmation, in ms.
 *
 * @internal
 */
export const HEARTBEAT_TIMEOUT = 1000;

/** The first wait before opening the connection again after it was lost, in ms (then doubled). */
const RETRY_FIRST = 50;
/** The longest wait before opening it again, in ms. */
const RETRY_MAX = 2000;

/** The channel Redis sends RESP2 invalidations on. */
const CHANNEL = "__redis__:invalidate";

/** One cached session value. */
interface Entry {
  readonly value: string;
  readonly userId: string;
  /** When it stops being served: `min(read + maxAge, idle expiry)`, ms since the epoch. */
  readonly expiresAt: number;
}

/**
 * How many of the latest invalidated keys are remembered, so that a read in flight can tell
 * whether its own key was among those invalidated meanwhile; a read that saw more than these go
 * by stores nothing.
 */
const RECENT = 1024;

/** How many reads were answered from the cache, and how many went to Redis. @internal */
export interface CacheCounts {
  hits: number;
  misses: number;
}

/**
 * The cache of one adapter: the LRU, the reads in flight, and the invalidation connection.
 *
 * @internal
 */
export class SessionCache {
  /** Reads answered from the cache, and reads sent to Redis (the connection up or not). */
  readonly counts: CacheCounts = { hits: 0, misses: 0 };
  readonly #settings: CacheSettings;
  readonly #connection: Connection;
  readonly #prefix: string;
  readonly #entries: Lru<Entry>;
  /** Cached keys by user id, so that signing a user out drops them. */
  readonly #byUser = new Map<string, Set<string>>();
  /**
   * The placeholders of the reads in flight, without a map of them: every invalidated key bumps
   * `#changes` and is written at `#recent[#changes % RECENT]`; a read notes `#changes` when it
   * starts, and stores what it read only if its key is not among those invalidated since (nor
   * everything, `#cleared`). The common case (nothing changed meanwhile) costs one comparison.
   */
  #changes = 0;
  readonly #recent: string[] = new Array(RECENT);
  /** `#changes` as of the last time every read in flight was made stale. */
  #cleared = 0;

  /** Bumped with each connection opened or given up: events of an older one are ignored. */
  #link = 0;
  #subscriber: Subscriber | undefined;
  #opening = false;
  #up = false;
  /** When the last confirmation's `PING` was sent (or the subscription confirmed). */
  #confirmedAt = 0;
  #pingSentAt: number | undefined;
  #retryAt = 0;
  #retryWait = RETRY_FIRST;
  #warned = false;

  /**
   * A cache of session values under `prefix` (the session key prefix, with any client key
   * prefix), invalidated over a dedicated connection of `connection`. Opens nothing until the
   * first read.
   */
  constructor(connection: Connection, prefix: string, settings: CacheSettings) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#settings = settings;
    this.#entries = new Lru(settings.maxEntries, (key, entry) => this.#unindex(key, entry));
  }

  /** How many sessions it holds now. */
  get size(): number {
    return this.#entries.size;
  }

  /** True while the invalidation connection is confirmed up (entries may be served). */
  get confirmed(): boolean {
    return this.#usable(Date.now());
  }

  /**
   * The value of session key `key`: from the cache when it holds it and may serve it, otherwise
   * from `load` (Redis), storing what it read unless the key was invalidated meanwhile.
   */
  async read(key: string, load: () => Promise<string | null>): Promise<string | null> {
    const now = Date.now();
    if (!this.#check(now)) {
      this.counts.misses++;
      return await load();
    }
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      if (entry.expiresAt > now) {
        this.counts.hits++;
        return entry.value;
      }
      this.#drop(key);
    }
    this.counts.misses++;
    const started = this.#changes;
    const value = await load();
    if (value !== null && !this.#changedSince(key, started)) this.#store(key, value);
    return value;
  }

  /**
   * Drops these keys, and every cached session of `userId` when given, and makes the reads in
   * flight of them not store what they read. Called before a write is sent and after it is done.
   */
  forget(keys: readonly string[], userId?: string): void {
    for (const key of keys) this.#invalidate(key);
    if (userId === undefined) return;
    for (const key of [...(this.#byUser.get(userId) ?? [])]) this.#drop(key);
    // A read in flight of one of the user's sessions is not known by its user yet: none stores.
    this.#cleared = ++this.#changes;
  }

  /** True when `key` (or every key) was invalidated after `#changes` was `since`. */
  #changedSince(key: string, since: number): boolean {
    if (this.#changes === since) return false;
    if (this.#cleared > since || this.#changes - since >= RECENT) return true;
    for (let n = since + 1; n <= this.#changes; n++) {
      if (this.#recent[n % RECENT] === key) return true;
    }
    return false;
  }

  /** Stores what a read got, unless the link is down (a stale read was ruled out before). */
  #store(key: string, value: string): void {
    const now = Date.now();
    if (!this.#usable(now)) return;
    // The fields the adapter's own parsing reads (a value without them makes it throw: not kept).
    let session: { user_id?: unknown; idle_expires?: unknown } | null;
    try {
      session = JSON.parse(value);
    } catch {
      return;
    }
    const userId = session?.user_id;
    const idle = session?.idle_expires;
    if (typeof userId !== "string" || typeof idle !== "number") return;
    const expiresAt = Math.min(now + this.#settings.maxAge, idle);
    if (expiresAt <= now) return;
    this.#drop(key);
    this.#entries.set(key, { value, userId, expiresAt });
    let keys = this.#byUser.get(userId);
    if (keys === undefined) this.#byUser.set(userId, keys = new Set());
    keys.add(key);
  }

  #invalidate(key: string): void {
    this.#drop(key);
    this.#recent[++this.#changes % RECENT] = key;
  }

  #drop(key: string): void {
    const entry = this.#entries.delete(key);
    if (entry !== undefined) this.#unindex(key, entry);
  }

  #unindex(key: string, entry: Entry): void {
    const keys = this.#byUser.get(entry.userId);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.#byUser.delete(entry.userId);
  }

  /** Drops every entry; reads in flight will not store. */
  #clear(): void {
    this.#entries.clear();
    this.#byUser.clear();
    this.#cleared = ++this.#changes;
  }

  /** True when entries may be served now: the link confirmed recently enough. No side effect. */
  #usable(now: number): boolean {
    return this.#up && now - this.#confirmedAt <= HEARTBEAT_INTERVAL + HEARTBEAT_TIMEOUT;
  }

  /**
   * At each read: opens the link when it is down (and its retry time has come), sends the
   * heartbeat's `PING` when due, gives the link up when a `PING` went unanswered, and empties
   * the cache while it is not confirmed. True when entries may be served.
   */
  #check(now: number): boolean {
    if (!this.#up) {
      if (!this.#opening && now >= this.#retryAt) this.#open();
      return false;
    }
    if (this.#pingSentAt !== undefined && now - this.#pingSentAt > HEARTBEAT_TIMEOUT) {
      this.#lose();
      return false;
    }
    if (this.#pingSentAt === undefined && now - this.#confirmedAt > HEARTBEAT_INTERVAL) {
      this.#ping(now);
    }
    if (this.#usable(now)) return true;
    if (this.#entries.size > 0) this.#clear();
    return false;
  }

  #ping(now: number): void {
    const link = this.#link;
    const subscriber = this.#subscriber;
    if (subscriber === undefined) return;
    this.#pingSentAt = now;
    subscriber.send(["PING"]).then(
      () => {
        if (link !== this.#link) return;
        // Every invalidation Redis sent before it ran the PING has arrived by its reply.
        this.#confirmedAt = now;
        this.#pingSentAt = undefined;
      },
      () => {
        if (link === this.#link) this.#lose();
      },
    );
  }

  /** Opens the dedicated connection and sets tracking up on it; the cache is bypassed meanwhile. */
  #open(): void {
    const link = ++this.#link;
    const opened = this.#connection.subscriber?.({
      message: (channel, keys) => {
        if (link !== this.#link || channel !== CHANNEL) return;
        if (keys === null) this.#clear();
        else for (const key of keys) this.#invalidate(key);
      },
      closed: () => {
        if (link === this.#link) this.#lose();
      },
    });
    if (opened === undefined) {
      // The client itself is not open: nothing to do until it is.
      this.#retryAt = Date.now() + RETRY_FIRST;
      return;
    }
    this.#opening = true;
    opened.then(async (subscriber) => {
      if (link !== this.#link) return subscriber.close();
      this.#subscriber = subscriber;
      try {
        const id = await subscriber.send(["CLIENT", "ID"]);
        await subscriber.send(
          ["CLIENT", "TRACKING", "ON", "REDIRECT", String(id), "BCAST", "PREFIX", this.#prefix],
        );
        await subscriber.subscribe(CHANNEL);
      } catch (error) {
        if (link === this.#link) this.#refused(error);
        throw error;
      }
      if (link !== this.#link) return;
      this.#clear(); // Empty already; but nothing read before now may be stored.
      this.#opening = false;
      this.#up = true;
      this.#confirmedAt = Date.now();
      this.#pingSentAt = undefined;
      this.#retryWait = RETRY_FIRST;
    }).catch(() => {
      if (link === this.#link) this.#lose();
    });
  }

  /** Tells once that Redis refused to set invalidations up (the cache then stays bypassed). */
  #refused(error: unknown): void {
    if (this.#warned || !(error instanceof Error)) return;
    // Refusals that will not pass by themselves (not LOADING, BUSY and the like).
    if (!/^NOPERM |^ERR unknown (sub)?command/i.test(error.message)) return;
    this.#warned = true;
    console.warn(
      `@lucia-auth/adapter-session-redis: the session cache is bypassed: Redis refused to set ` +
        `up its invalidations (${error.message}). CLIENT TRACKING needs Redis >= 6 and, under an ` +
        `ACL, the commands CLIENT, SUBSCRIBE and PING.`,
    );
  }

  /** Gives the connection up: the cache is emptied and bypassed until a new one is up. */
  #lose(): void {
    this.#link++;
    this.#subscriber?.close();
    this.#subscriber = undefined;
    this.#opening = false;
    this.#up = false;
    this.#pingSentAt = undefined;
    this.#clear();
    this.#retryAt = Date.now() + this.#retryWait;
    this.#retryWait = Math.min(this.#retryWait * 2, RETRY_MAX);
  }
}

/**
 * The store with `getSession`'s reads going through `cache`, and its writes dropping the keys
 * they change from it (before they are sent, and once they are done). `capped`: `setSession`
 * may sign the user's oldest sessions out (`maxSessionsPerUser`), so it drops all of theirs.
 *
 * @internal
 */
export function cachedStore(
  store: Store,
  sessionKey: (id: string) => string,
  cache: SessionCache,
  capped: boolean,
): Store {
  const around = async <T>(keys: string[], userId: string | undefined, write: () => Promise<T>) => {
    cache.forget(keys, userId);
    try {
      return await write();
    } finally {
      cache.forget(keys, userId);
    }
  };
  return {
    getSession: (id) => cache.read(sessionKey(id), () => store.getSession(id)),
    getSessionsByUserId: (userId) => store.getSessionsByUserId(userId),
    setSession: (record) =>
      around(
        [sessionKey(record.id)],
        capped ? record.userId : undefined,
        () => store.setSession(record),
      ),
    deleteSession: (ids) => around(ids.map(sessionKey), undefined, () => store.deleteSession(ids)),
    deleteSessionsByUserId: (userId) =>
      around([], userId, () => store.deleteSessionsByUserId(userId)),
    updateSession: (read, record) =>
      around([sessionKey(record.id)], undefined, () => store.updateSession(read, record)),
  };
}
