/**
 * End-to-end test of the demo app (scripts/demo) in headless Chromium.
 *
 * Needs Debian's `chromium` package (`apt-get install -y chromium`) at /usr/bin/chromium (or
 * `CHROMIUM_PATH`), driven by npm `playwright-core` (no browser download), and redis-server on
 * PATH or `REDIS_URL`.
 * Without Chromium the tests are skipped with a message saying how to get it, except in CI (`CI`
 * set), where they fail; `SKIP_BROWSER_TESTS=1` skips them.
 *
 * Runs under `deno test -A tests/demo_e2e.test.ts` and
 * `bun test --timeout 60000 tests/demo_e2e.test.ts`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { type RunningDemo, startDemo } from "../scripts/demo/main.ts";

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

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
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

async function submitCredentials(page: Page, path: string, email: string, password: string) {
  await page.goto(base + path);
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
