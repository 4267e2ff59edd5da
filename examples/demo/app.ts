/**
 * The demo's request handler: a Lucia v1 app with email + password sign-up and sign-in, its
 * sessions in Redis through this adapter, and a "Your sessions" page. It takes a web-standard
 * `Request` and returns a `Response`, so any server (Deno's, Bun's) can run it.
 *
 * @module
 */
import lucia, { LuciaError, type Session } from "lucia-auth";
import { web } from "lucia-auth/middleware";
import { redis, type RedisClient } from "../../mod.ts";
import { readCookie, setFlash, takeFlash } from "./flash.ts";
import type { RedisStatus } from "./redis_watch.ts";
import type { UserStore } from "./user_store.ts";
import {
  problemPage,
  redisDownPage,
  type SessionRow,
  sessionsPage,
  signInPage,
  signUpPage,
  type StorageInfo,
  STYLE,
  type Viewer,
} from "./views.ts";

/** Lucia's default session periods, spelt out so the pages can derive a creation time. */
const ACTIVE_PERIOD = 24 * 60 * 60 * 1000;
const IDLE_PERIOD = 14 * 24 * 60 * 60 * 1000;
/** The key prefix of the adapter's default `session` namespace. */
const SESSION_KEY_PREFIX = "session:";
/** Lucia key provider for email + password. */
const PROVIDER = "email";
/** Lucia v1's session cookie. */
const SESSION_COOKIE = "auth_session";
const PATHS = new Set([
  "/",
  "/style.css",
  "/signin",
  "/signup",
  "/sessions",
  "/sessions/signout",
  "/signout",
  "/signout-everywhere",
]);
/** For a form that failed while Redis was down, "Try again" shows the page with the form. */
const FORM_PAGES: Record<string, string> = {
  "/signin": "/signin",
  "/signup": "/signup",
  "/sessions/signout": "/sessions",
  "/signout": "/sessions",
  "/signout-everywhere": "/sessions",
};
const MAX_FORM_BYTES = 8 * 1024;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;

/** A client the adapter accepts, with node-redis's `sendCommand` (for the TTL column). */
export type DemoRedisClient = RedisClient & {
  sendCommand(args: string[]): Promise<unknown>;
  readonly isReady?: boolean;
};

/** What the demo app needs. */
export interface DemoAppOptions {
  /** A connected node-redis client; sessions go there. */
  redisClient: DemoRedisClient;
  /** Where users and keys go. */
  userStore: UserStore;
  /** Descriptions of both stores for the pages. */
  storage: StorageInfo;
  /** Lucia's env: "DEV" for plain http on localhost (cookies without `Secure`). */
  env?: "DEV" | "PROD";
  /** The state of Redis (default: from the client's `isReady`). */
  redisStatus?: () => RedisStatus;
  /** Where unexpected failures are logged (default: `console.error`). */
  log?: (line: string) => void;
  /** Seconds a Redis-down page asks the browser to wait (`Retry-After`; default 1). */
  retryAfterSeconds?: number;
}

/** The demo app: a web-standard request handler. */
export interface DemoApp {
  /** Answers one request. Never throws; failures become a plain error page. */
  handle(request: Request): Promise<Response>;
}

interface DemoUser {
  userId: string;
  email: string;
}

/** Codes of the one-time notices shown after a redirect (no user text is ever reflected). */
const NOTICES = new Map<string, string>(Object.entries({
  "signed-out": "You are signed out.",
  "signed-out-everywhere":
    "You signed out everywhere: all of your sessions were deleted from Redis. Other browsers " +
    "are signed out on their next request.",
  "signin-required": "Sign in to see your sessions.",
  "session-ended": "Your session has ended (signed out here or from another browser). Sign in " +
    "again to continue.",
  "welcome": "Welcome! Your account is created and this browser has a session in Redis.",
  "signed-in": "You are signed in. This browser has a new session in Redis.",
  "revoked": "That session is signed out; its browser will be asked to sign in again.",
  "gone": "That session had already ended.",
}));

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
    "base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "Cache-Control": "no-store",
};

class HttpError extends Error {
  constructor(readonly status: number, readonly title: string, message: string) {
    super(message);
  }
}

/** Thrown before starting work that needs Redis while it is known to be down. */
class RedisDown extends Error {}

/** A non-secret handle for a session id: the first 32 hex digits of its SHA-256. */
async function sessionHandle(sessionId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(sessionId));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")
    .slice(0, 32);
}

async function readForm(request: Request): Promise<Map<string, string>> {
  const type = request.headers.get("Content-Type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded")) {
    throw new HttpError(415, "Unsupported form", "This page only accepts a submitted HTML form.");
  }
  const body = await request.text();
  if (body.length > MAX_FORM_BYTES) {
    throw new HttpError(413, "Form too large", "That form submission was too large.");
  }
  const form = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (!form.has(name)) form.set(name, value);
  }
  return form;
}

function readCredentials(form: Map<string, string>, signingUp: boolean) {
  const email = (form.get("email") ?? "").trim().toLowerCase();
  const password = form.get("password") ?? "";
  const errors: string[] = [];
  if (!email) errors.push("Enter your email address.");
  else if (email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    errors.push("Enter an email address like name@example.com.");
  }
  if (!password) errors.push("Enter your password.");
  else if (password.length > MAX_PASSWORD) {
    errors.push(`Use a password of at most ${MAX_PASSWORD} characters.`);
  } else if (signingUp && password.length < MIN_PASSWORD) {
    errors.push(`Choose a password of at least ${MIN_PASSWORD} characters.`);
  }
  return { email, password, errors };
}

function isLuciaError(error: unknown, ...messages: string[]): boolean {
  return error instanceof LuciaError && messages.includes(error.message);
}

/** Creates the demo app over a connected Redis client and a user store. */
export function createDemoApp(options: DemoAppOptions): DemoApp {
  const { redisClient, userStore, storage } = options;
  const redisStatus = options.redisStatus ??
    (() => ({ up: redisClient.isReady !== false, advice: "Check that Redis is running." }));
  const log = options.log ?? ((line: string) => console.error(line));
  const secure = (options.env ?? "DEV") === "PROD";
  const auth = lucia({
    adapter: { user: userStore.adapter, session: redis(redisClient) },
    env: options.env ?? "DEV",
    middleware: web(),
    sessionExpiresIn: { activePeriod: ACTIVE_PERIOD, idlePeriod: IDLE_PERIOD },
    transformDatabaseUser: (user) => ({ userId: user.id, email: String(user.email) }),
  });

  /** Lucia's CSRF check: a form POST must carry an Origin equal to the server's origin. */
  const assertSameOrigin = (request: Request): void => {
    try {
      auth.parseRequestHeaders({
        url: request.url,
        method: request.method,
        headers: {
          origin: request.headers.get("Origin"),
          cookie: request.headers.get("Cookie"),
        },
      });
    } catch {
      throw new HttpError(
        403,
        "Request refused",
        "This form did not come from this site (Lucia's CSRF check compares the request's " +
          "Origin header with the server's origin). Reload the page and try again.",
      );
    }
  };

  const page = (status: number, body: string, headers: Headers): Response => {
    headers.set("Content-Type", "text/html; charset=utf-8");
    return new Response(body, { status, headers });
  };
  /** A 303 to a GET page, optionally with a one-time notice for it (see flash.ts). */
  const redirect = (location: string, headers: Headers, notice?: string): Response => {
    if (notice) setFlash(headers, notice, secure);
    headers.set("Location", location);
    return new Response(null, { status: 303, headers });
  };
  /** Fails fast, before any write, when Redis is known to be down. */
  const assertRedisUp = (): void => {
    if (!redisStatus().up) throw new RedisDown();
  };

  const redisTtl = async (sessionId: string): Promise<number | null> => {
    try {
      const reply = await redisClient.sendCommand(["PTTL", SESSION_KEY_PREFIX + sessionId]);
      return typeof reply === "number" && reply >= 0 ? reply : null;
    } catch {
      return null;
    }
  };

  const sessionRows = async (userId: string, current: Session): Promise<SessionRow[]> => {
    const sessions = await auth.getAllUserSessions(userId);
    const rows = await Promise.all(sessions.map(async (session): Promise<SessionRow> => ({
      handle: await sessionHandle(session.sessionId),
      createdAt: new Date(session.activePeriodExpiresAt.getTime() - ACTIVE_PERIOD),
      activeUntil: session.activePeriodExpiresAt,
      idleExpiresAt: session.idlePeriodExpiresAt,
      current: session.sessionId === current.sessionId,
      redisTtl: await redisTtl(session.sessionId),
    })));
    return rows.sort((a, b) =>
      Number(b.current) - Number(a.current) || b.createdAt.getTime() - a.createdAt.getTime()
    );
  };

  const route = async (request: Request, headers: Headers): Promise<Response> => {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    const authRequest = auth.handleRequest(request, headers);
    // The session id from the cookie (null without one, or when Lucia's CSRF check failed).
    const cookieSessionId = authRequest.storedSessionId;
    let userLookup: Promise<{ user: DemoUser; session: Session } | null> | undefined;
    /**
     * The signed-in user, or null. Like `authRequest.validateUser()`, but only an invalid or
     * expired session signs the browser out: if Redis cannot be reached, the error propagates
     * (an error page) and the cookie stays, where `validateUser()` would delete it.
     */
    const currentUser = () =>
      userLookup ??= (async () => {
        if (!cookieSessionId) return null;
        try {
          const { user, session } = await auth.validateSessionUser(cookieSessionId);
          if (session.fresh) authRequest.setSession(session); // renewed: a new cookie
          return { user: user as DemoUser, session };
        } catch (error) {
          if (!(error instanceof LuciaError)) throw error;
          authRequest.setSession(null);
          return null;
        }
      })();
    /** The one-time notice for the page being rendered; reading it clears it. */
    const notice = () => NOTICES.get(takeFlash(request, headers, secure) ?? "") ?? null;

    if (method === "POST") assertSameOrigin(request);

    switch (`${method === "HEAD" ? "GET" : method} ${url.pathname}`) {
      case "GET /style.css":
        headers.set("Content-Type", "text/css; charset=utf-8");
        headers.set("Cache-Control", "max-age=300");
        return new Response(STYLE, { headers });

      case "GET /": {
        const signedIn = await currentUser();
        return redirect(signedIn ? "/sessions" : "/signin", headers);
      }

      case "GET /signin":
      case "GET /signup": {
        if (await currentUser()) return redirect("/sessions", headers);
        const body = url.pathname === "/signin"
          ? signInPage({ notice: notice() })
          : signUpPage({ notice: notice() });
        return page(200, body, headers);
      }

      case "POST /signup": {
        const form = await readForm(request);
        const { email, password, errors } = readCredentials(form, true);
        if (errors.length) return page(400, signUpPage({ email, errors }), headers);
        const taken = () =>
          page(
            409,
            signUpPage({
              email,
              errors: ["An account with this email already exists. Sign in instead."],
            }),
            headers,
          );
        assertRedisUp(); // no account without the session that signs it in
        // A quick check saves hashing the password; setUser re-checks for a racing sign-up.
        if (await auth.getKey(PROVIDER, email).then(() => true, () => false)) return taken();
        let userId: string;
        try {
          const user = await auth.createUser({
            primaryKey: { providerId: PROVIDER, providerUserId: email, password },
            attributes: { email },
          }) as DemoUser;
          userId = user.userId;
        } catch (error) {
          if (isLuciaError(error, "AUTH_DUPLICATE_KEY_ID")) return taken();
          throw error;
        }
        await replaceSession(authRequest, userId);
        return redirect("/sessions", headers, "welcome");
      }

      case "POST /signin": {
        const form = await readForm(request);
        const { email, password, errors } = readCredentials(form, false);
        if (errors.length) return page(400, signInPage({ email, errors }), headers);
        assertRedisUp();
        let userId: string;
        try {
          userId = (await auth.useKey(PROVIDER, email, password)).userId;
        } catch (error) {
          if (isLuciaError(error, "AUTH_INVALID_KEY_ID", "AUTH_INVALID_PASSWORD")) {
            return page(401, signInPage({ email, errors: ["Wrong email or password."] }), headers);
          }
          throw error;
        }
        await replaceSession(authRequest, userId);
        return redirect("/sessions", headers, "signed-in");
      }

      case "GET /sessions": {
        const signedIn = await currentUser();
        if (!signedIn) {
          const why = cookieSessionId ? "session-ended" : "signin-required";
          return redirect("/signin", headers, why);
        }
        const viewer: Viewer = { email: signedIn.user.email };
        const rows = await sessionRows(signedIn.user.userId, signedIn.session);
        return page(200, sessionsPage(viewer, rows, storage, notice()), headers);
      }

      case "POST /sessions/signout": {
        const form = await readForm(request);
        const signedIn = await currentUser();
        if (!signedIn) return redirect("/signin", headers, "signin-required");
        const handle = form.get("session") ?? "";
        const sessions = await auth.getAllUserSessions(signedIn.user.userId);
        let target: Session | undefined;
        for (const session of sessions) {
          if (await sessionHandle(session.sessionId) === handle) target = session;
        }
        if (!target) return redirect("/sessions", headers, "gone");
        await auth.invalidateSession(target.sessionId);
        if (target.sessionId === signedIn.session.sessionId) {
          authRequest.setSession(null);
          return redirect("/signin", headers, "signed-out");
        }
        return redirect("/sessions", headers, "revoked");
      }

      case "POST /signout": {
        if (cookieSessionId) await auth.invalidateSession(cookieSessionId);
        authRequest.setSession(null);
        return redirect("/signin", headers, "signed-out");
      }

      case "POST /signout-everywhere": {
        const signedIn = await currentUser();
        if (signedIn) await auth.invalidateAllUserSessions(signedIn.user.userId);
        authRequest.setSession(null);
        return redirect("/signin", headers, "signed-out-everywhere");
      }
    }
    if (PATHS.has(url.pathname)) {
      throw new HttpError(405, "Method not allowed", "That page does not accept this request.");
    }
    throw new HttpError(404, "Not found", "There is no page at this address.");
  };

  /** Signs this browser in with a fresh session, ending the one it had (if any). */
  const replaceSession = async (
    authRequest: ReturnType<typeof auth.handleRequest>,
    userId: string,
  ): Promise<void> => {
    const previous = authRequest.storedSessionId;
    if (previous) await auth.invalidateSession(previous);
    authRequest.setSession(await auth.createSession(userId));
  };

  return {
    handle: async (request) => {
      const headers = new Headers(SECURITY_HEADERS);
      try {
        return await route(request, headers);
      } catch (error) {
        const fresh = new Headers(SECURITY_HEADERS);
        if (error instanceof HttpError) {
          return page(error.status, problemPage(error.title, error.message), fresh);
        }
        const status = redisStatus();
        if (error instanceof RedisDown || !status.up) {
          // Expected while Redis is down: the state change is logged once, not each request.
          const url = new URL(request.url);
          const method = request.method.toUpperCase();
          fresh.set("Retry-After", String(options.retryAfterSeconds ?? 1));
          return page(
            503,
            redisDownPage({
              hasSessionCookie: Boolean(readCookie(request, SESSION_COOKIE)),
              retryPath: (method === "GET" || method === "HEAD") && PATHS.has(url.pathname)
                ? url.pathname + url.search
                : FORM_PAGES[url.pathname] ?? "/",
              advice: status.advice,
            }),
            fresh,
          );
        }
        const detail = error instanceof Error ? error.stack ?? error.message : String(error);
        log(`demo: ${request.method} ${new URL(request.url).pathname} failed: ${detail}`);
        return page(
          500,
          problemPage(
            "Something went wrong",
            "The server could not finish this request; the details are in its log.",
          ),
          fresh,
        );
      }
    },
  };
}
