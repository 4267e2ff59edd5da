/**
 * The types Deno gives lucia-auth where src/adapter/v1.ts imports it (`// @ts-types`): its
 * `LuciaError` class, declared as lucia-auth 1.8 declares it (tests/types/lucia_auth_error.ts
 * holds the two together). The library takes nothing else from lucia-auth at runtime.
 *
 * Why: lucia-auth's own declarations reach Express's and Node's types through its middleware
 * (`/// <reference types="node" />`), and `deno doc --lint` then printed 55 warnings, "Failed
 * resolving types … zlib.d.ts", one per `/// <reference path="…" />` line of @types/node (Deno
 * resolves those as package names). tsc ignores the directive: the npm build's declarations
 * still refer to lucia-auth's own types.
 *
 * @module
 */

/** The messages of lucia-auth 1.x's errors. */
export type ErrorMessage =
  | "AUTH_INVALID_SESSION_ID"
  | "AUTH_INVALID_PASSWORD"
  | "AUTH_DUPLICATE_SESSION_ID"
  | "AUTH_DUPLICATE_KEY_ID"
  | "AUTH_INVALID_KEY_ID"
  | "AUTH_INVALID_USER_ID"
  | "AUTH_INVALID_REQUEST"
  | "AUTH_NOT_AUTHENTICATED"
  | "REQUEST_UNAUTHORIZED"
  | "UNKNOWN_ERROR"
  | "AUTH_OUTDATED_PASSWORD"
  | "AUTO_USER_ID_GENERATION_NOT_SUPPORTED"
  | "AUTH_EXPIRED_KEY";

/** lucia-auth 1.x's error class. */
export declare class LuciaError extends Error {
  constructor(errorMsg: ErrorMessage, detail?: string);
  /** Details of the error. */
  detail: string;
  /** Which error it is. */
  message: ErrorMessage;
}
