/**
 * One-time notices across a redirect (post/redirect/get): the handler that redirects sets a
 * short-lived cookie holding a notice code, and the page that shows the notice clears it, so a
 * reload or a bookmark never shows it again. Only codes travel, never user text.
 *
 * @module
 */

const COOKIE = "demo_notice";
/** Long enough for the redirect to be followed, short enough not to surprise a later visit. */
const MAX_AGE_SECONDS = 60;
const CODE = /^[a-z-]{1,40}$/;

/** The value of cookie `name` in the request, or null. */
export function readCookie(request: Request, name: string): string | null {
  for (const part of (request.headers.get("Cookie") ?? "").split(";")) {
    const separator = part.indexOf("=");
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      return part.slice(separator + 1).trim();
    }
  }
  return null;
}

function cookie(value: string, maxAge: number, secure: boolean): string {
  return `${COOKIE}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax` +
    (secure ? "; Secure" : "");
}

/** Adds the Set-Cookie header that carries `code` to the next page. */
export function setFlash(headers: Headers, code: string, secure: boolean): void {
  if (!CODE.test(code)) throw new RangeError(`Cannot set a notice: "${code}" is not a code`);
  headers.append("Set-Cookie", cookie(code, MAX_AGE_SECONDS, secure));
}

/** The notice code the request carries (or null), and a Set-Cookie header that clears it. */
export function takeFlash(request: Request, headers: Headers, secure: boolean): string | null {
  const code = readCookie(request, COOKIE);
  if (code === null) return null;
  headers.append("Set-Cookie", cookie("", 0, secure));
  return CODE.test(code) ? code : null;
}
