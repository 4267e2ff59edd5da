/**
 * Server-rendered HTML for the demo. Every interpolated value is HTML-escaped unless it is
 * already an {@link Html} fragment built by the {@link html} tag.
 *
 * @module
 */

/** A fragment of trusted HTML. */
export class Html {
  /** Wraps markup that is already safe. */
  constructor(readonly markup: string) {}
  /** The markup. */
  toString(): string {
    return this.markup;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for use in HTML content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/** Template tag: literal parts are kept, interpolated values are escaped. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let markup = strings[0];
  for (let i = 0; i < values.length; i++) markup += render(values[i]) + strings[i + 1];
  return new Html(markup);
}

/** The signed-in user as the pages show it. */
export interface Viewer {
  /** The user's email address. */
  email: string;
}

/** One row of "Your sessions". */
export interface SessionRow {
  /** A non-secret handle for the session (a hash prefix of its id), used by the forms. */
  handle: string;
  /** When the session was created (its active expiry minus Lucia's active period). */
  createdAt: Date;
  /** Until when it is "active"; after that Lucia renews it on the next request. */
  activeUntil: Date;
  /** When it ends unless renewed (Lucia's idle expiry; Redis drops it then). */
  idleExpiresAt: Date;
  /** Whether it is the session of the browser that asked for the page. */
  current: boolean;
  /** Milliseconds until Redis deletes the session's key (its PTTL), if known. */
  redisTtl: number | null;
}

/** Where the demo keeps its data, for the explanations on the pages. */
export interface StorageInfo {
  /** Describes the Redis holding the sessions (no credentials). */
  redis: string;
  /** Describes where users and keys are kept. */
  users: string;
}

/**
 * The page frame. `viewer`: the signed-in user, null when signed out, "unknown" when the page
 * cannot know (an error page): then the header offers neither "Sign in" nor "Sign out".
 */
function layout(title: string, viewer: Viewer | null | "unknown", body: Html): Html {
  const nav = viewer === "unknown" ? "" : viewer
    ? html`
      <span class="who">Signed in as <strong>${viewer.email}</strong></span>
      <a href="/sessions">Your sessions</a>
      <form method="post" action="/signout" class="inline">
        <button type="submit" class="link">Sign out</button>
      </form>
    `
    : html`<a href="/signin">Sign in</a> <a href="/signup">Sign up</a>`;
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${title} · Lucia + Redis sessions demo</title>
        <link rel="stylesheet" href="/style.css">
      </head>
      <body>
        <header>
          <a class="brand" href="/">Lucia v1 · sessions in Redis</a>
          <nav>${nav}</nav>
        </header>
        <main>
    ${body}
        </main>
      </body>
    </html>
  `;
}

function messages(errors: string[], notice: string | null): Html {
  return html`${
    errors.length
      ? html`
        <div class="errors" role="alert">
          <ul>${errors.map((error) => html`<li>${error}</li>`)}</ul>
        </div>
      `
      : ""
  }${notice ? html`<p class="notice" role="status">${notice}</p>` : ""}`;
}

/** Form state for the sign-in and sign-up pages. */
export interface FormPage {
  /** The email to prefill (what the user typed). */
  email?: string;
  /** Messages about what went wrong. */
  errors?: string[];
  /** A neutral message, e.g. after signing out. */
  notice?: string | null;
}

function credentialsForm(action: string, submit: string, page: FormPage, newPassword: boolean) {
  return html`<form method="post" action="${action}" class="card" novalidate>
  <label>Email
    <input type="email" name="email" autocomplete="email" value="${page.email ?? ""}">
  </label>
  <label>Password
    <input type="password" name="password"
      autocomplete="${newPassword ? "new-password" : "current-password"}">
  </label>
  <button type="submit">${submit}</button>
</form>`;
}

/** The sign-up page. */
export function signUpPage(page: FormPage = {}): string {
  return layout(
    "Sign up",
    null,
    html`<h1>Create an account</h1>
${messages(page.errors ?? [], page.notice ?? null)}
${credentialsForm("/signup", "Sign up", page, true)}
<p>Already have an account? <a href="/signin">Sign in</a>.</p>
<p class="hint">Passwords need at least 8 characters and are hashed with Lucia's scrypt.</p>`,
  ).markup;
}

/** The sign-in page. */
export function signInPage(page: FormPage = {}): string {
  return layout(
    "Sign in",
    null,
    html`<h1>Sign in</h1>
${messages(page.errors ?? [], page.notice ?? null)}
${credentialsForm("/signin", "Sign in", page, false)}
<p>New here? <a href="/signup">Create an account</a>.</p>
<p class="hint">Tip: sign in again from another browser or a private window, then look at
"Your sessions" here.</p>`,
  ).markup;
}

function when(date: Date): Html {
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace("T", " ")} UTC</time>`;
}

function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes % 60} min`;
  return minutes > 0 ? `${minutes} min` : "< 1 min";
}

/** "Your sessions": the signed-in user's live sessions, stored in Redis. */
export function sessionsPage(
  viewer: Viewer,
  sessions: SessionRow[],
  storage: StorageInfo,
  notice: string | null = null,
): string {
  const rows = sessions.map((session) =>
    html`<tr class="session${session.current ? " current" : ""}" data-current="${
      String(session.current)
    }">
  <td><code>${session.handle.slice(0, 8)}</code>${
      session.current
        ? html`
          <span class="badge">this browser</span>
        `
        : ""
    }</td>
  <td>${when(session.createdAt)}</td>
  <td>${when(session.activeUntil)}</td>
  <td>${when(session.idleExpiresAt)}</td>
  <td>${session.redisTtl === null ? "?" : duration(session.redisTtl)}</td>
  <td>
    <form method="post" action="/sessions/signout" class="inline">
      <input type="hidden" name="session" value="${session.handle}">
      <button type="submit" class="small">Sign out this session</button>
    </form>
  </td>
</tr>`
  );
  return layout(
    "Your sessions",
    viewer,
    html`
      <h1>Your sessions</h1>
      ${messages([], notice)}
      <p>Every browser you are signed in from has its own Lucia session. They live in Redis
      (${storage.redis}), written and read through <code>@lucia-auth/adapter-session-redis</code>;
      your user and password key live elsewhere (${storage.users}).</p>
      <table>
        <thead>
          <tr>
            <th>Session</th>
            <th>Created</th>
            <th>Active until</th>
            <th>Idle expiry</th>
            <th>Redis deletes it in</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
      ${rows}
        </tbody>
      </table>
      <p class="hint">"Active until": after this, Lucia renews the session on your next visit. "Idle
      expiry": if you stay away until then, the session is over. "Redis deletes it in": the adapter
      gives each session key a TTL that ends at its idle expiry, so Redis removes dead sessions by
      itself, with no clean-up job.</p>
      <form method="post" action="/signout-everywhere">
        <button type="submit" class="danger">Sign out everywhere</button>
      </form>
    `,
  ).markup;
}

/**
 * A page that only says something went wrong (no details). Its header claims no sign-in state:
 * an error page has not looked the visitor up.
 */
export function problemPage(title: string, message: string): string {
  return layout(
    title,
    "unknown",
    html`<h1>${title}</h1>
<p class="errors" role="alert">${message}</p>
<p><a href="/">Back to the start</a></p>`,
  ).markup;
}

/** What the "Sessions are unavailable" page needs. */
export interface RedisDownPage {
  /** Whether the browser sent a session cookie (it is kept; nothing says whether it is valid). */
  hasSessionCookie: boolean;
  /** Where "Try again" goes: the same page, or for a form, the page with the form. */
  retryPath: string;
  /** For the person running the demo: what happened to Redis and what to do. */
  advice: string;
}

/**
 * The page while Redis cannot be reached. It claims no sign-in state (the sessions are in
 * Redis, so it cannot know one): a browser with a session cookie is told that the cookie is
 * kept and checked once Redis answers; a browser without one, that signing in waits for Redis.
 */
export function redisDownPage(page: RedisDownPage): string {
  return layout(
    "Sessions are unavailable",
    "unknown",
    html`<h1>Sessions are unavailable</h1>
<p class="errors" role="alert">Redis, where this demo keeps its sessions, cannot be reached right
now.</p>
<p>${
      page.hasSessionCookie
        ? "This browser keeps its session cookie: the demo could not check it against Redis " +
          "and does not delete it for that. Once Redis answers again, it is checked as usual."
        : "Signing in and signing up need Redis, so they wait until it answers again."
    }</p>
<p><a class="button" href="${page.retryPath}">Try again</a></p>
<p class="hint">If you run this demo: ${page.advice}</p>`,
  ).markup;
}

/** The stylesheet. */
export const STYLE = `
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: #1d2330; background: #f5f6f8; }
header { display: flex; justify-content: space-between; align-items: center; gap: 1rem;
  padding: .75rem 1.5rem; background: #1d2330; color: #fff; flex-wrap: wrap; }
header a, header .link { color: #fff; margin-left: 1rem; }
header .brand { margin-left: 0; font-weight: 600; text-decoration: none; }
main { max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
.card { display: grid; gap: 1rem; max-width: 24rem; padding: 1.5rem; background: #fff;
  border: 1px solid #d8dce3; border-radius: .5rem; }
label { display: grid; gap: .25rem; font-weight: 600; }
input { font: inherit; padding: .5rem; border: 1px solid #aab1bd; border-radius: .25rem; }
button { font: inherit; padding: .5rem 1rem; border: 0; border-radius: .25rem; cursor: pointer;
  background: #3454d1; color: #fff; }
a.button { display: inline-block; padding: .5rem 1rem; border-radius: .25rem;
  background: #3454d1; color: #fff; text-decoration: none; }
button.small { padding: .25rem .6rem; font-size: .875rem; }
button.danger { background: #b42318; }
button.link { background: none; padding: 0; text-decoration: underline; }
form.inline { display: inline; }
table { width: 100%; border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: .5rem; border-bottom: 1px solid #e3e6eb; font-size: .9rem; }
tr.current { background: #eef3ff; }
.badge { background: #3454d1; color: #fff; border-radius: 1rem; padding: 0 .5rem;
  font-size: .75rem; white-space: nowrap; }
.errors, .notice { margin: 0 0 1rem; }
.errors { background: #fdecea; border: 1px solid #f1aeb5; color: #8a1c12; padding: .5rem 1rem;
  border-radius: .25rem; }
.errors ul { margin: 0; padding-left: 1.25rem; }
.notice { background: #e8f5e9; border: 1px solid #a5d6a7; padding: .5rem 1rem;
  border-radius: .25rem; }
.hint { color: #5b6474; font-size: .9rem; }
`;
