/**
 * Realistic session data for the server modes, reproducible from a seed: 40-character random
 * `[a-z0-9]` session ids (Lucia's), 15-character random user ids, and distinct idle expiries
 * that increase with the session's number, so that each new session of a user expires later
 * than the ones before it (as with Lucia, where every login is later), which is the common path
 * of `PEXPIREAT … GT`.
 *
 * Everything is random access (session `n` is the same whenever it is asked for) and the same
 * in every run with the same seed, so that instruction counts repeat exactly.
 *
 * @module
 */
import type { BenchSession } from "../../bench/subjects.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const DAY = 86_400_000;

/** A 32-bit mix of two integers (Murmur3's finaliser over a combination). */
function mix32(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `length` random characters for item `n` of universe `seed`, in parts of 10 from independent
 * 32-bit streams (one stream alone would give only 2^32 different ids: tens of thousands of
 * ids would then collide now and then).
 */
function randomString(seed: number, n: number, length: number): string {
  let out = "";
  for (let part = 0; out.length < length; part++) {
    const next = prng(mix32(mix32(seed, part), n));
    for (let i = 0; i < 10 && out.length < length; i++) {
      out += ALPHABET[Math.floor(next() * ALPHABET.length)];
    }
  }
  return out;
}

/**
 * When set, every universe's expiries start from this time (ms) instead of 14 days from now:
 * the instruction counts set it, so that even the digits of the stored times repeat.
 */
export const clock: { base?: number } = {};

/**
 * A universe of users with `perUser` sessions each: session `n` belongs to user
 * `floor(n / perUser)` unless given another, and expires at `base + n` ms.
 */
export class Universe {
  readonly base: number;
  private readonly ids = new Map<number, string>();
  private readonly users = new Map<number, string>();
  constructor(readonly seed: number, readonly perUser: number, base?: number) {
    this.base = base ?? clock.base ?? Date.now() + 14 * DAY;
  }
  /** Session id `n`: 40 random characters of [a-z0-9]. */
  id(n: number): string {
    let id = this.ids.get(n);
    if (id === undefined) {
      id = randomString(this.seed, 2 * n, 40);
      this.ids.set(n, id);
    }
    return id;
  }
  /** User id `u`: 15 random characters of [a-z0-9]. */
  user(u: number): string {
    let id = this.users.get(u);
    if (id === undefined) {
      id = randomString(this.seed, 2 * u + 1, 15);
      this.users.set(u, id);
    }
    return id;
  }
  /** Session `n` (of user `user`, by default its own), idle expiry `base + n`. */
  session(n: number, user = Math.floor(n / this.perUser)): BenchSession {
    return {
      id: this.id(n),
      user_id: this.user(user),
      active_expires: this.base - 13 * DAY + n,
      idle_expires: this.base + n,
    };
  }
}

const utf8 = new TextEncoder();

/**
 * Whether this adapter's setSession takes its pruning path for this id: its last two bytes add up
 * to a multiple of 16 (`tidyDue` in src/lua/helpers.ts; about 1 write in 18 for Lucia's ids).
 */
export function prunes(id: string): boolean {
  const bytes = utf8.encode(id);
  return ((bytes[bytes.length - 1] ?? 0) + (bytes[bytes.length - 2] ?? 0)) % 16 === 0;
}
