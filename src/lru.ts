/**
 * A least-recently-used map of bounded size, on a `Map` (whose iteration order is insertion
 * order: a read moves its entry to the end, and the oldest is the first).
 *
 * @module
 */

/**
 * A map of at most `max` entries: setting one more drops the least recently read or set (and
 * tells `onEvict`).
 *
 * @internal
 */
export class Lru<V> {
  readonly #map = new Map<string, V>();
  readonly #max: number;
  readonly #onEvict: ((key: string, value: V) => void) | undefined;

  /** A map of at most `max` entries (a positive integer); `onEvict` hears of each one dropped. */
  constructor(max: number, onEvict?: (key: string, value: V) => void) {
    this.#max = max;
    this.#onEvict = onEvict;
  }

  /** How many entries it holds. */
  get size(): number {
    return this.#map.size;
  }

  /** The value under `key`, now the most recently used; undefined when there is none. */
  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** The value under `key`, without making it recent. */
  peek(key: string): V | undefined {
    return this.#map.get(key);
  }

  /** Sets `key`, the most recently used now, dropping the least recently used beyond `max`. */
  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.#max) {
      const [oldest, dropped] = this.#map.entries().next().value as [string, V];
      this.#map.delete(oldest);
      this.#onEvict?.(oldest, dropped);
    }
  }

  /** Removes `key`; returns what it held (undefined: nothing). `onEvict` is not told. */
  delete(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) this.#map.delete(key);
    return value;
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
  }
}
