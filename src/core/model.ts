/**
 * The rules about stored values, written once in TypeScript: the owner of a stored session, its
 * idle expiry, and what converting an earlier adapter's index does with each of its ids. The
 * scripts implement the same rules in Lua (`owner_of`, `idle_of` and `legacy_entry` in
 * `lua/helpers.ts`), and `tests/model_rules.test.ts` runs one table of stored values through both.
 *
 * Neither reads a stored value by decoding it whole: a value is scanned for one top-level
 * member, the others skipped by their quotes and brackets, so that no nesting depth or lone
 * surrogate elsewhere in it (which Redis's Lua `cjson` rejects) can hide its owner.
 *
 * @module
 */
import { MAX_TIME } from "./util.ts";

/** One top-level member of a JSON object, as `fieldOf` reads it. @internal */
export type Field =
  | { kind: "string"; value: string | undefined }
  | { kind: "scalar"; text: string }
  | { kind: "other" };

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** Whitespace as Lua's `%s` has it (C's isspace): JSON's four, and \v and \f. */
const isSpace = (c: string) => " \t\n\v\f\r".includes(c);

/** The index of the first character at or after `i` that is not JSON whitespace, or -1. */
function nonSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s[i])) i++;
  return i < s.length ? i : -1;
}

function hex4(s: string, i: number): number | undefined {
  const digits = s.slice(i, i + 4);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : undefined;
}

/** The position after the JSON string starting at `s[i]` (a quote), or -1 when unclosed. */
function skipString(s: string, i: number): number {
  for (let pos = i + 1; pos < s.length; pos++) {
    if (s[pos] === '"') return pos + 1;
    if (s[pos] === "\\") pos++;
  }
  return -1;
}

/**
 * The JSON string starting at `s[i]` (a quote), decoded, and the position after it; undefined
 * for a malformed string or a lone surrogate escape.
 *
 * @internal
 */
export function jsonString(s: string, i: number): [string, number] | undefined {
  let out = "";
  for (let pos = i + 1; pos < s.length;) {
    const c = s[pos];
    if (c === '"') return [out, pos + 1];
    if (c !== "\\") {
      out += c;
      pos++;
      continue;
    }
    const e = s[pos + 1];
    if (e !== undefined && e in ESCAPES) {
      out += ESCAPES[e];
      pos += 2;
    } else if (e === "u") {
      const unit = hex4(s, pos + 2);
      if (unit === undefined || (unit >= 0xdc00 && unit <= 0xdfff)) return undefined;
      pos += 6;
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const low = s.slice(pos, pos + 2) === "\\u" ? hex4(s, pos + 2) : undefined;
        if (low === undefined || low < 0xdc00 || low > 0xdfff) return undefined;
        out += String.fromCharCode(unit, low);
        pos += 6;
      } else {
        out += String.fromCharCode(unit);
      }
    } else {
      return undefined;
    }
  }
  return undefined;
}

/** The end of a scalar starting at `i`: the next `,`, `}`, `]` or whitespace, or the end. */
function scalarEnd(s: string, i: number): number {
  let pos = i;
  while (pos < s.length && !",}]".includes(s[pos]) && !isSpace(s[pos])) pos++;
  return pos;
}

/** The position after the JSON value starting at `s[i]`, or -1 when it is unclosed. */
function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return skipString(s, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    for (let pos = i; pos < s.length;) {
      const ch = s[pos];
      if (ch === '"') {
        pos = skipString(s, pos);
        if (pos < 0) return -1;
        continue;
      }
      if (ch === "{" || ch === "[") depth++;
      else if (ch === "}" || ch === "]") depth--;
      pos++;
      if ((ch === "}" || ch === "]" || ch === "{" || ch === "[") && depth === 0) return pos;
    }
    return -1;
  }
  const end = scalarEnd(s, i);
  return end < s.length ? end : -1;
}

/**
 * One top-level member of the JSON object `s` (the first of that name), without decoding the
 * others; undefined when `s` is not an object or has no such member before a malformed one.
 *
 * @internal
 */
export function fieldOf(s: string, name: string): Field | undefined {
  let pos = nonSpace(s, 0);
  if (pos < 0 || s[pos] !== "{") return undefined;
  pos++;
  for (;;) {
    pos = nonSpace(s, pos);
    if (pos < 0 || s[pos] !== '"') return undefined;
    const key = jsonString(s, pos);
    if (key === undefined) return undefined;
    pos = nonSpace(s, key[1]);
    if (pos < 0 || s[pos] !== ":") return undefined;
    pos = nonSpace(s, pos + 1);
    if (pos < 0) return undefined;
    if (key[0] === name) {
      const c = s[pos];
      if (c === '"') return { kind: "string", value: jsonString(s, pos)?.[0] };
      if (c === "{" || c === "[") return { kind: "other" };
      return { kind: "scalar", text: s.slice(pos, scalarEnd(s, pos)) };
    }
    pos = skipValue(s, pos);
    if (pos < 0) return undefined;
    pos = nonSpace(s, pos);
    if (pos < 0 || s[pos] !== ",") return undefined;
    pos++;
  }
}

/**
 * The owner of a stored value: its top-level `user_id` when that is a JSON string (decoded);
 * undefined when it cannot be read (not an object, no string `user_id`, a malformed or
 * undecodable one). The values this adapter writes start with it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownerOf } from "./model.ts";
 *
 * assert.equal(ownerOf('{"user_id":"a\\nb","device":"Pixel \\ud83d"}'), "a\nb");
 * assert.equal(ownerOf('{"id":"x","user_id":5}'), undefined);
 * ```
 *
 * @internal
 */
export function ownerOf(value: string): string | undefined {
  const field = fieldOf(value, "user_id");
  return field?.kind === "string" ? field.value : undefined;
}

/** Lua's `tonumber` of a decimal or hex text (as JSON numbers and legacy strings hold). */
function luaNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === "" || !/^[-+]?(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)$/.test(t)) {
    return undefined;
  }
  return Number(t);
}

/**
 * The idle expiry of a stored value: its top-level `idle_expires` (a JSON number, or a string
 * holding one), rounded up, when it is a time Lucia can hold (0 < t <= 8.64e15 ms).
 *
 * @internal
 */
export function idleOf(value: string): number | undefined {
  const field = fieldOf(value, "idle_expires");
  const text = field?.kind === "scalar"
    ? field.text
    : field?.kind === "string"
    ? field.value
    : undefined;
  const idle = text === undefined ? undefined : luaNumber(text);
  return idle !== undefined && idle > 0 && idle <= MAX_TIME ? Math.ceil(idle) : undefined;
}

/**
 * What converting an earlier adapter's index (a 1.x LIST, a 2.x SET) does with one of its ids:
 * - `drop`: the session is gone, a tombstone, or another user's: the entry goes, the session is
 *   left alone;
 * - `dead`: this user's, its idle expiry passed: the session is deleted, the entry goes;
 * - `keep`: this user's and alive: scored by its idle expiry, and the key made to expire then;
 * - `ttl`: its owner or idle expiry cannot be read: kept, scored by the key's own expiry (the
 *   latest time when it has none; dropped when the key is gone), so that signing the user out
 *   still finds it.
 *
 * `value` is what `GET` returned (undefined for a key holding no string).
 *
 * @internal
 */
export function legacyEntry(
  value: string | null | undefined,
  userId: string,
  now: number,
): { fate: "drop" | "ttl" } | { fate: "dead" | "keep"; idle: number } {
  if (typeof value !== "string" || value === "") return { fate: "drop" };
  const owner = ownerOf(value);
  if (owner === undefined) return { fate: "ttl" };
  if (owner !== userId) return { fate: "drop" };
  const idle = idleOf(value);
  if (idle === undefined) return { fate: "ttl" };
  return { fate: idle <= now ? "dead" : "keep", idle };
}

/**
 * The score a `ttl` entry gets from its key's `PTTL`: `now + ttl`, the latest time for a key
 * without expiry (-1), or undefined (the key is gone: the entry is dropped).
 *
 * @internal
 */
export function scoreFromTtl(ttl: number, now: number): number | undefined {
  if (ttl > 0) return now + ttl;
  if (ttl === -1) return MAX_TIME;
  return undefined;
}
