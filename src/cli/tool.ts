/**
 * The tool's name, as `npx`, the help and its messages call it.
 *
 * @module
 */

/** The tool's name: the npm package's `bin`, the unscoped package name. */
export const TOOL = "adapter-session-redis";
