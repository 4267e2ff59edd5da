/**
 * End-to-end test of the demo app (examples/demo) in headless Chromium.
 *
 * Needs Debian's `chromium` package (`apt-get install -y chromium`) at /usr/bin/chromium (or
 * `CHROMIUM_PATH`), driven by npm `playwright-core` (no browser download), and redis-server on
 * PATH or `REDIS_URL`.
 * Without Chromium the tests are skipped with a message saying how to get it, except in CI (`CI`
 * set), where they fail; `SKIP_BROWSER_TESTS=1` skips them.
 *
 * The second suite stops the demo's own redis-server while two browsers use it, then starts a
 * redis-server on the same port (a stand-in for the operator): it checks the Redis-down page for
 * a signed-in and a signed-out visitor, "Try again" once Redis is back, and the demo's log.
 *
 * Runs under `deno test -A tests/demo_e2e.test.ts` and
 * `bun test --timeout 120000 tests/demo_e2e.test.ts`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { type RunningDemo, startDemo } from "../examples/demo/main.ts";
import { CONNECT_TIMEOUT_MS, RECONNECT_INTERVAL_MS } from "../examples/demo/redis_watch.ts";
import { privateServerArgs, waitUntilUp } from "../scripts/redis/server.ts";

/** Debian's chromium; `CHROMIUM_PATH` may point elsewhere (e.g. to test the missing case). */
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const TIMEOUT = 60_000;
const PASSWORD = "correct horse battery";
const INSTALL_HINT = "the demo's browser tests need Debian's `chromium` package " +
  "(`apt-get install -y chromium`)";
// Outside CI, a machine without Chromium skips these tests, loudly, so that the README's test
// command works on a fresh machine with only Node and redis-server. In CI (`CI` set, as
// .ci/run has it, which installs Chromium) a missing Chromium fails them.
const MISSING = !existsSync(CHROMIUM) && !process.env.CI;
const SKIP = process.env.SKIP_BROWSER_TESTS === "1" || MISSING;

if (process.env.SKIP_BROWSER_TESTS === "1") {
  console.log("SKIP_BROWSER_TESTS=1: skipping the demo's browser tests (tests/demo_e2e.test.ts).");
} else if (MISSING) {
  console.log(`SKIPPED: Chromium is not installed at ${CHROMIUM}: ${INSTALL_HINT}.`);
}

let demo: RunningDemo;
let browser: Browser;
let dataDir: string;
let base: string;
let accounts = 0;
/** Why `before` failed: every test repeats it (Bun runs the tests even after a failed hook). */
let setupError: unknown = null;

function assertReady(): void {
  if (setupError) throw setupError;
}

function newEmail(): string {
  return `newcomer-${Date.now()}-${++accounts}@example.com`;
}

async function newPage(on: Browser = browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await on.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

/** Runs `fn` with `count` fresh browser contexts, one page each, and closes them afterwards. */
async function withPages(
  count: number,
  fn: (pages: { context: BrowserContext; page: Page }[]) => Promise<void>,
): Promise<void> {
  const opened: { context: BrowserContext; page: Page }[] = [];
  try {
    for (let i = 0; i < count; i++) opened.push(await newPage());
    await fn(opened);
  } finally {
    for (const { context } of opened) await context.close();
  }
}

async function submitCredentials(
  page: Page,
  path: string,
  email: string,
  password: string,
  origin: string = base,
) {
  await page.goto(origin + path);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: path === "/signup" ? "Sign up" : "Sign in" }).click();
  await page.waitForLoadState();
}

function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

async function alertText(page: Page): Promise<string> {
  return (await page.getByRole("alert").innerText()).trim();
}

/** Asserts the page shows no stack trace or raw error. */
async function assertNoStackTrace(page: Page): Promise<void> {
  const text = await page.locator("body").innerText();
  assert.doesNotMatch(text, /\bat .+:\d+:\d+|Error:|LuciaError|AUTH_[A-Z_]+/);
}

describe("The demo app in a real browser", { skip: SKIP }, () => {
  before(async () => {
    try {
      if (!existsSync(CHROMIUM)) {
        throw new Error(
          `Chromium is not installed at ${CHROMIUM}: ${INSTALL_HINT}. Set SKIP_BROWSER_TESTS=1 ` +
            "to skip them.",
        );
      }
      dataDir = await mkdtemp(join(tmpdir(), "demo-e2e-"));
      demo = await startDemo({
        port: 0,
        hostname: "127.0.0.1",
        dataFile: join(dataDir, "users.json"),
      });
      base = `http://127.0.0.1:${demo.port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    } catch (error) {
      setupError = error;
      throw error;
    }
  }, { timeout: TIMEOUT });

  after(async () => {
    await browser?.close();
    await demo?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, { timeout: TIMEOUT });

  it(
    "signs up, signs in again from a second browser, lists both sessions, and signs both out everywhere",
    { timeout: TIMEOUT },
    async () => {
      assertReady();
      const email = newEmail();
      await withPages(2, async ([first, second]) => {
        await submitCredentials(first.page, "/signup", email, PASSWORD);
        assert.equal(pathOf(first.page), "/sessions");
        assert.equal(await first.page.locator("tr.session").count(), 1);

        await submitCredentials(second.page, "/signin", email, PASSWORD);
        assert.equal(pathOf(second.page), "/sessions");

        await first.page.goto(base + "/sessions");
        assert.equal(await first.page.locator("tr.session").count(), 2);
        const current = first.page.locator("tr.session.current");
        assert.equal(await current.count(), 1);
        assert.match(await current.innerText(), /this browser/);
        assert.equal(await first.page.getByText("this browser").count(), 1);

        await first.page.getByRole("button", { name: "Sign out everywhere" }).click();
        await first.page.waitForLoadState();
        assert.equal(pathOf(first.page), "/signin");
        assert.match(await first.page.getByRole("status").innerText(), /signed out everywhere/);

        for (const { page } of [first, second]) {
          await page.goto(base + "/sessions");
          assert.equal(pathOf(page), "/signin", "a signed-out browser is sent to sign in");
          assert.equal(await page.getByRole("button", { name: "Sign in" }).count(), 1);
        }
        assert.match(await second.page.getByRole("status").innerText(), /session has ended/);
        assert.deepEqual(
          (await second.context.cookies()).filter((cookie) => cookie.name === "auth_session"),
          [],
        );
      });
    },
  );

  it(
    "signs out one other session from the list and keeps this one",
    { timeout: TIMEOUT },
    async () => {
      assertReady();
      const email = newEmail();
      await withPages(2, async ([first, second]) => {
        await submitCredentials(first.page, "/signup", email, PASSWORD);
        await submitCredentials(second.page, "/signin", email, PASSWORD);
        await first.page.goto(base + "/sessions");
        await first.page.locator("tr.session:not(.current)")
          .getByRole("button", { name: "Sign out this session" }).click();
        await first.page.waitForLoadState();
        assert.equal(pathOf(first.page), "/sessions");
        assert.equal(await first.page.locator("tr.session").count(), 1);
        assert.equal(await first.page.locator("tr.session.current").count(), 1);

        await second.page.goto(base + "/sessions");
        assert.equal(pathOf(second.page), "/signin");
      });
    },
  );

  it(
    "explains empty fields, a taken email and a wrong password on the page",
    { timeout: TIMEOUT },
    async () => {
      assertReady();
      const email = newEmail();
      await withPages(1, async ([{ page }]) => {
        await submitCredentials(page, "/signup", "", "");
        assert.equal(pathOf(page), "/signup");
        assert.match(await alertText(page), /Enter your email address\./);
        assert.match(await alertText(page), /Enter your password\./);
        await assertNoStackTrace(page);

        await submitCredentials(page, "/signup", email, PASSWORD);
        assert.equal(pathOf(page), "/sessions");
        await page.getByRole("button", { name: "Sign out", exact: true }).click();
        await page.waitForLoadState();
        assert.equal(pathOf(page), "/signin");

        await submitCredentials(page, "/signup", email, "another password");
        assert.match(await alertText(page), /already exists/);
        assert.equal(await page.getByLabel("Email").inputValue(), email);
        await assertNoStackTrace(page);

        await submitCredentials(page, "/signin", email, "not the password");
        assert.equal(pathOf(page), "/signin");
        assert.match(await alertText(page), /Wrong email or password\./);
        await assertNoStackTrace(page);

        const markup = `<b>not an "email"</b>`;
        await submitCredentials(page, "/signin", markup, "");
        assert.match(await alertText(page), /Enter an email address/);
        assert.equal(
          await page.locator("main b").count(),
          0,
          "user input is escaped, not rendered",
        );
        assert.equal(await page.getByLabel("Email").inputValue(), markup.toLowerCase());
      });
    },
  );

  it(
    "keeps the session cookie HttpOnly and SameSite=Lax, out of reach of page scripts",
    { timeout: TIMEOUT },
    async () => {
      assertReady();
      await withPages(1, async ([{ context, page }]) => {
        await submitCredentials(page, "/signup", newEmail(), PASSWORD);
        const cookie = (await context.cookies()).find((c) => c.name === "auth_session");
        assert.ok(cookie, "the session cookie is set");
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, "Lax");
        assert.doesNotMatch(String(await page.evaluate("document.cookie")), /auth_session/);
      });
    },
  );

  it(
    "shows a notice once: a reload shows the sessions without it, and the URL never carries it",
    { timeout: TIMEOUT },
    async () => {
      assertReady();
      const email = newEmail();
      await withPages(2, async ([first, second]) => {
        await submitCredentials(first.page, "/signup", email, PASSWORD);
        await submitCredentials(second.page, "/signin", email, PASSWORD);
        await first.page.goto(base + "/sessions");
        await first.page.locator("tr.session:not(.current)")
          .getByRole("button", { name: "Sign out this session" }).click();
        await first.page.waitForLoadState();
        assert.equal(first.page.url(), base + "/sessions");
        assert.match(
          await first.page.getByRole("status").innerText(),
          /That session is signed out/,
        );

        await first.page.reload();
        assert.equal(await first.page.getByRole("status").count(), 0, "shown once, not on reload");
        assert.equal(await first.page.locator("tr.session").count(), 1);

        // The tester's case: the other browser signs in again, this one reloads.
        await submitCredentials(second.page, "/signin", email, PASSWORD);
        await first.page.reload();
        assert.equal(await first.page.locator("tr.session").count(), 2);
        assert.equal(await first.page.getByRole("status").count(), 0);
        assert.deepEqual(
          (await first.context.cookies()).filter((cookie) => cookie.name === "demo_notice"),
          [],
          "the notice's cookie is cleared once shown",
        );
      });
    },
  );

  it("refuses a form posted from another origin", { timeout: TIMEOUT }, async () => {
    assertReady();
    const response = await fetch(base + "/signup", {
      method: "POST",
      redirect: "manual",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": "http://attacker.example",
      },
      body: new URLSearchParams({ email: newEmail(), password: PASSWORD }),
    });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("Set-Cookie"), null);
    assert.match(await response.text(), /CSRF/);
  });
});

/** The demo's log lines as it writes them, and a way to wait for the next one that matches. */
class LogRecorder {
  readonly lines: string[] = [];
  #waiting: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  readonly log = (line: string): void => {
    this.lines.push(line);
    for (const waiter of this.#waiting.filter((w) => w.pattern.test(line))) {
      this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  };

  /** Resolves with the first line (already written or next) matching `pattern`. */
  waitFor(pattern: RegExp, withinMs: number): Promise<string> {
    const written = this.lines.find((line) => pattern.test(line));
    if (written !== undefined) return Promise.resolve(written);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = this.#waiting.filter((w) => w.resolve !== done);
        reject(new Error(`no log line matched ${pattern} within ${withinMs} ms: ${this.lines}`));
      }, withinMs);
      const done = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.#waiting.push({ pattern, resolve: done });
    });
  }
}

/**
 * How long the demo may take to notice a change of Redis state: one connection attempt plus a
 * few of its own reconnect intervals (it writes the down line at most one interval after the
 * connection drops, and tries to reconnect at least once an interval).
 */
const STATE_CHANGE_MS = CONNECT_TIMEOUT_MS + 5 * RECONNECT_INTERVAL_MS;

/** Starts redis-server on `port` (a stand-in for an operator restarting Redis by hand). */
async function startRedisOnPort(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--dir", dir, ...privateServerArgs("127.0.0.1", port)], {
    stdio: "ignore",
  });
  // As long as the harness's private servers may take to come up (scripts/redis/server.ts).
  await waitUntilUp("127.0.0.1", port, Date.now() + 5000);
  return child;
}

function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

describe("The demo app when its own redis-server stops", { skip: SKIP }, () => {
  const recorder = new LogRecorder();
  let downDemo: RunningDemo;
  let downBrowser: Browser;
  let origin: string;
  let redisPort: number;
  let redisDir: string;
  let replacement: ChildProcess | undefined;
  let member: { context: BrowserContext; page: Page };
  let visitor: { context: BrowserContext; page: Page };
  const memberEmail = newEmail();
  let failure: unknown = null;
  /** The tests below are one story in order: each needs the ones before it to have passed. */
  const step = async (fn: () => Promise<void>): Promise<void> => {
    if (failure) throw new Error("an earlier step of this story failed", { cause: failure });
    try {
      await fn();
    } catch (error) {
      failure = error;
      throw error;
    }
  };

  before(async () => {
    await step(async () => {
      if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}`);
      redisDir = await mkdtemp(join(tmpdir(), "demo-e2e-redis-"));
      // Its own private redis-server (never REDIS_URL: this suite stops it).
      downDemo = await startDemo({
        port: 0,
        hostname: "127.0.0.1",
        redisUrl: null,
        dataFile: null,
        log: recorder.log,
      });
      origin = `http://127.0.0.1:${downDemo.port}`;
      redisPort = downDemo.redis.port;
      downBrowser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      member = await newPage(downBrowser);
      visitor = await newPage(downBrowser);
      await submitCredentials(member.page, "/signup", memberEmail, PASSWORD, origin);
      assert.equal(pathOf(member.page), "/sessions");

      await downDemo.redis.stop();
      await recorder.waitFor(/^demo: Redis down/, STATE_CHANGE_MS);
    });
  }, { timeout: TIMEOUT });

  after(async () => {
    await downBrowser?.close();
    await downDemo?.stop();
    await stopProcess(replacement);
    if (redisDir) await rm(redisDir, { recursive: true, force: true });
  }, { timeout: TIMEOUT });

  /** Asserts the header offers neither "Sign in"/"Sign up" nor "Signed in as"/"Sign out". */
  async function assertHeaderClaimsNothing(page: Page): Promise<void> {
    assert.equal((await page.locator("header nav").innerText()).trim(), "");
  }

  it(
    "shows a signed-in visitor a page that keeps the session cookie and claims no sign-in state",
    { timeout: TIMEOUT },
    () =>
      step(async () => {
        const response = await member.page.goto(origin + "/sessions");
        assert.equal(response?.status(), 503);
        assert.equal(response?.headers()["retry-after"], String(RECONNECT_INTERVAL_MS / 1000));
        assert.equal(
          await member.page.getByRole("heading", { level: 1 }).innerText(),
          "Sessions are unavailable",
        );
        await assertHeaderClaimsNothing(member.page);
        const body = await member.page.locator("main").innerText();
        assert.match(body, /keeps its session cookie/);
        assert.doesNotMatch(body, /you stay signed in/i);
        assert.match(body, new RegExp(`own redis-server .*127\\.0\\.0\\.1:${redisPort}`));
        assert.match(body, /npm run demo/);
        assert.equal(
          await member.page.getByRole("link", { name: "Try again" }).getAttribute("href"),
          "/sessions",
        );
        await assertNoStackTrace(member.page);
        assert.equal(
          (await member.context.cookies()).filter((c) => c.name === "auth_session").length,
          1,
          "the session cookie is kept",
        );
      }),
  );

  it(
    "shows a signed-out visitor the same page without a word about staying signed in",
    { timeout: TIMEOUT },
    () =>
      step(async () => {
        await submitCredentials(visitor.page, "/signin", memberEmail, PASSWORD, origin);
        assert.equal(
          await visitor.page.getByRole("heading", { level: 1 }).innerText(),
          "Sessions are unavailable",
        );
        await assertHeaderClaimsNothing(visitor.page);
        const body = await visitor.page.locator("main").innerText();
        assert.match(body, /Signing in and signing up need Redis/);
        assert.doesNotMatch(body, /signed in|session cookie/i);
        assert.equal(
          await visitor.page.getByRole("link", { name: "Try again" }).getAttribute("href"),
          "/signin",
          "after a form, Try again shows the form again",
        );
        await assertNoStackTrace(visitor.page);
        assert.deepEqual(await visitor.context.cookies(), []);
      }),
  );

  it(
    "lets both visitors go on with Try again once a redis-server answers on that port again",
    { timeout: TIMEOUT },
    () =>
      step(async () => {
        replacement = await startRedisOnPort(redisPort, redisDir);
        await recorder.waitFor(/^demo: Redis up/, STATE_CHANGE_MS);

        // The sessions died with the demo's own redis-server: the member is told so and signs in.
        await member.page.getByRole("link", { name: "Try again" }).click();
        await member.page.waitForLoadState();
        assert.equal(pathOf(member.page), "/signin");
        assert.match(await member.page.getByRole("status").innerText(), /session has ended/);
        await submitCredentials(member.page, "/signin", memberEmail, PASSWORD, origin);
        assert.equal(pathOf(member.page), "/sessions");
        assert.equal(await member.page.locator("tr.session").count(), 1);

        await visitor.page.getByRole("link", { name: "Try again" }).click();
        await visitor.page.waitForLoadState();
        assert.equal(pathOf(visitor.page), "/signin");
        await submitCredentials(visitor.page, "/signup", newEmail(), PASSWORD, origin);
        assert.equal(pathOf(visitor.page), "/sessions");
      }),
  );

  it(
    "logs one line when Redis goes down, naming the demo's own redis-server, and one when it is back",
    { timeout: TIMEOUT },
    () =>
      step(() => {
        const where = `127\\.0\\.0\\.1:${redisPort}`;
        assert.equal(recorder.lines.length, 2, recorder.lines.join("\n"));
        const [down, up] = recorder.lines;
        assert.match(
          down,
          new RegExp(
            `^demo: Redis down: The demo's own redis-server \\(the private one it ` +
              `started on ${where}\\) has exited`,
          ),
        );
        assert.match(down, /npm run demo/);
        assert.match(up, new RegExp(`^demo: Redis up: ${where} answers again`));
        for (const line of recorder.lines) {
          assert.doesNotMatch(line, /\n|\bat .+:\d+:\d+/, "one line, no stack trace");
        }
        return Promise.resolve();
      }),
  );
});
