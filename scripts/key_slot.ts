/**
 * The hash slot of a key, for the cluster harness: the library's own implementation.
 *
 * @module
 */
export { crc16, keySlot, SLOTS } from "../src/clients/key_slot.ts";
