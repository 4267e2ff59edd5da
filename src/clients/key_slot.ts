/**
 * The Redis Cluster hash slot of a key: CRC16 (XMODEM: polynomial 0x1021, initial value 0, no
 * reflection) of the key's bytes, modulo 16384. When the key contains a `{hash tag}` (the bytes
 * between the first `{` and the first `}` after it, if there is at least one), only the tag is
 * hashed, so `{user1}:a` and `{user1}:b` share a slot.
 *
 * Runtime-neutral (only `TextEncoder`): used by the node-redis cluster connection and the tests.
 *
 * @module
 */

/** Number of hash slots in a Redis Cluster. */
export const SLOTS = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) {
    crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  }
  TABLE[i] = crc & 0xffff;
}

/** CRC16/XMODEM of `bytes` (`crc16("123456789")` is `0x31c3`). */
export function crc16(bytes: Uint8Array | string): number {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let crc = 0;
  for (let i = 0; i < data.length; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ data[i]) & 0xff];
  }
  return crc;
}

const OPEN = 0x7b; // "{"
const CLOSE = 0x7d; // "}"

/**
 * The hash slot (0–16383) Redis Cluster assigns to `key` (a string is hashed as UTF-8), the same
 * number `CLUSTER KEYSLOT key` returns.
 */
export function keySlot(key: string | Uint8Array): number {
  const bytes = typeof key === "string" ? new TextEncoder().encode(key) : key;
  const open = bytes.indexOf(OPEN);
  if (open >= 0) {
    const close = bytes.indexOf(CLOSE, open + 1);
    // "{}" (an empty tag) or an unclosed "{" hash the whole key.
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % SLOTS;
  }
  return crc16(bytes) % SLOTS;
}
