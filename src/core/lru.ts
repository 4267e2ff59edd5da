/**
 * A least-recently-used map of bounded size: a `Map` from key to node, and the nodes in a
 * doubly-linked list from least to most recently used. (A `Map` alone, re-inserting on each read
 * and deleting its first key to evict, is slow in V8: deleted entries pile up at its start and
 * every eviction walks past them.)
 *
 * @module
 */

/** One entry, linked into the recency list. */
interface Node<V> {
  key: string;
  value: V;
  /** Toward the least recently used. */
  older: Node<V> | undefined;
  /** Toward the most recently used. */
  newer: Node<V> | undefined;
}

/**
 * A map of at most `max` entries: setting one more drops the least recently read or set (and
 * tells `onEvict`).
 *
 * @internal
 */
export class Lru<V> {
  readonly #map = new Map<string, Node<V>>();
  readonly #max: number;
  readonly #onEvict: ((key: string, value: V) => void) | undefined;
  /** The least recently used. */
  #oldest: Node<V> | undefined;
  /** The most recently used. */
  #newest: Node<V> | undefined;

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
    const node = this.#map.get(key);
    if (node === undefined) return undefined;
    if (node !== this.#newest) {
      this.#unlink(node);
      this.#append(node);
    }
    return node.value;
  }

  /** The value under `key`, without making it recent. */
  peek(key: string): V | undefined {
    return this.#map.get(key)?.value;
  }

  /** Sets `key`, the most recently used now, dropping the least recently used beyond `max`. */
  set(key: string, value: V): void {
    const existing = this.#map.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.get(key);
      return;
    }
    const node: Node<V> = { key, value, older: undefined, newer: undefined };
    this.#map.set(key, node);
    this.#append(node);
    while (this.#map.size > this.#max && this.#oldest !== undefined) {
      const dropped = this.#oldest;
      this.#unlink(dropped);
      this.#map.delete(dropped.key);
      this.#onEvict?.(dropped.key, dropped.value);
    }
  }

  /** Removes `key`; returns what it held (undefined: nothing). `onEvict` is not told. */
  delete(key: string): V | undefined {
    const node = this.#map.get(key);
    if (node === undefined) return undefined;
    this.#unlink(node);
    this.#map.delete(key);
    return node.value;
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
    this.#oldest = this.#newest = undefined;
  }

  #unlink(node: Node<V>): void {
    if (node.older === undefined) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.#newest = node.older;
    else node.newer.older = node.older;
    node.older = node.newer = undefined;
  }

  #append(node: Node<V>): void {
    node.older = this.#newest;
    if (this.#newest === undefined) this.#oldest = node;
    else this.#newest.newer = node;
    this.#newest = node;
  }
}
