#!/usr/bin/env node
// The whole test suite, as the README's test command and CI run it: static checks, then the
// tests on Deno and on Bun (each test file starts its own private redis-server, or uses
// REDIS_URL), then the npm package on Node, then a smoke run of the benchmark.
//
// Each test runner also writes a JUnit XML report into .tmp/junit/; the closing
// `tests: N passed, N failed` line is counted from those reports (scripts/junit.mjs).
//
// Usage: node scripts/test.mjs [--quick | --static]
//   --quick: static checks + Deno + Bun only; --static: the static checks only (npm run check)
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { countJUnit } from "./junit.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const staticOnly = process.argv.includes("--static");
const quick = staticOnly || process.argv.includes("--quick");

const reports = join(root, ".tmp", "junit");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];
/** "step: test: message" of every failed test, repeated in the summary (CI shows the tail). */
const failedTests = [];

/** Runs a command with its output on the console; resolves with its exit code. */
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("error", (error) => {
      console.error(String(error));
      resolve(127);
    });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/**
 * Runs one step. For a step that runs tests, `args` is a function of the JUnit report's path
 * (it passes the runner the flags that write the report there), and the step's tests are
 * counted from that report.
 */
async function step(title, cmd, args) {
  const report = typeof args === "function"
    ? join(reports, `${title.replace(/\W+/g, "-")}.xml`)
    : undefined;
  const argv = report ? args(report) : args;
  console.log(`\n=== ${title}\n$ ${[cmd.replace(root + "/", ""), ...argv].join(" ")}`);
  const code = await run(cmd, argv);
  if (report) {
    const { passed, failed, skipped, failures, problem } = countJUnit(report);
    failedTests.push(...failures.map((failure) => `${title}: ${failure}`));
    totals.passed += passed;
    totals.failed += failed;
    totals.skipped += skipped;
    console.log(
      `--- ${title}: ${passed} passed, ${failed} failed, ${skipped} skipped ` +
        `(${problem ?? relative(root, report)})`,
    );
  }
  if (code !== 0) failedSteps.push(title);
  return code === 0;
}

const deno = bin("deno");
const bun = bin("bun");
if (!existsSync(deno) || !existsSync(bun)) {
  console.error("Deno and Bun come from npm: run `npm ci` first.");
  process.exit(2);
}

// Library code must stay runtime-neutral: no Node, Deno or Bun APIs in mod.ts and src/.
const forbidden = /\bfrom\s+["'](node:|bun["'])|\bDeno\.|\bBun\.|\bprocess\.|\bBuffer\b|require\(/;
const offenders = [
  "mod.ts",
  "v2.ts",
  ...readdirSync(join(root, "src"), { recursive: true }).map((f) => `src/${f}`)
    .filter((f) => f.endsWith(".ts")),
]
  .filter((file) =>
    readFileSync(join(root, file), "utf8").split("\n").some((line) =>
      !/^\s*(\/\/|\*)/.test(line) && forbidden.test(line)
    )
  );
console.log("\n=== runtime neutrality: no Node, Deno or Bun APIs in mod.ts and src/");
if (offenders.length) {
  console.log(`found in: ${offenders.join(", ")}`);
  failedSteps.push("runtime neutrality scan");
} else console.log("none found");

await step("format", deno, ["fmt", "--check"]);
await step("lint", deno, ["lint"]);
// scripts/npm_smoke/consumer.ts declares Lucia's global types as an application does: in one
// program with the other files they would apply to those too, so it is checked on its own.
const consumerProgram = "scripts/npm_smoke/consumer.ts";
// So does tests/types/lucia_v2.ts, which declares lucia 2's `Lucia` namespace as an app does.
const luciaV2Types = "tests/types/lucia_v2.ts";
await step("type-check (Deno)", deno, [
  "check",
  "mod.ts",
  "v2.ts",
  "src/",
  "tests/",
  "scripts/",
  "examples/",
  "bench/",
  `!${consumerProgram}`,
  `!${luciaV2Types}`,
]);
await step("type-check the npm package's consumer program (Deno)", deno, [
  "check",
  consumerProgram,
]);
await step("type-check the Lucia v2 entry against lucia 2's types (Deno)", deno, [
  "check",
  luciaV2Types,
]);
await step("type-check src/ with only ES + Web globals", bin("tsc"), [
  "-p",
  "scripts/checks/tsconfig.neutral.json",
]);
await step("doc lint", deno, ["doc", "--lint", "mod.ts", "v2.ts", "cli.ts"]);
await step("every export has an @example", deno, [
  "run",
  "--allow-read",
  "--allow-run",
  "scripts/checks/docs.ts",
]);
// The examples connect to Redis at REDIS_URL: scripts/redis/with_server.ts starts a private
// redis-server (or uses REDIS_URL), sets REDIS_URL for the step, and stops it after.
await step("doc examples (against a private redis-server)", deno, (report) => [
  "run",
  "--allow-all",
  "scripts/redis/with_server.ts",
  deno,
  "test",
  `--junit-path=${report}`,
  "--doc",
  "--allow-all",
  "mod.ts",
  "v2.ts",
  "cli.ts",
  "src/",
]);
await step("JSR publish dry run", deno, ["publish", "--dry-run", "--allow-dirty"]);
// Every TypeScript block of README.md and docs/*.md, each compiled as its own program with
// tsc --strict and no skipLibCheck (blocks marked partial are skipped and counted).
await step("README and docs examples compile", deno, [
  "run",
  "--allow-read",
  "--allow-write=.tmp",
  "--allow-env",
  "scripts/checks/examples.ts",
]);

if (staticOnly) finish();

await step("tests on Deno", deno, (report) => [
  "test",
  `--junit-path=${report}`,
  "--allow-all",
  "tests/",
]);
await step("tests on Bun", bun, (report) => [
  "test",
  "--reporter=junit",
  `--reporter-outfile=${report}`,
  "--timeout",
  "120000",
  "tests/",
]);

if (!quick) {
  if (existsSync(join(root, "scripts", "build_npm.ts"))) {
    // build_npm.ts hands the path on to `node --test --test-reporter=junit`.
    await step("npm package: build, check, and test on Node", deno, (report) => [
      "run",
      "--allow-all",
      "scripts/build_npm.ts",
      `--junit-path=${report}`,
    ]);
  }
  if (existsSync(join(root, "bench", "run.ts"))) {
    await step("benchmark smoke run (no speed assertions)", deno, ["task", "bench:smoke"]);
  }
}

finish();

/** Prints the summary and exits: 1 if a step or a test failed. */
function finish() {
  console.log(`\n=== summary`);
  if (failedSteps.length) console.log(`failed steps: ${failedSteps.join("; ")}`);
  for (const failure of failedTests) console.log(`failed: ${failure}`);
  if (totals.skipped) console.log(`skipped: ${totals.skipped} (reported by the runners)`);
  if (staticOnly) console.log(`static checks: ${failedSteps.length ? "failed" : "passed"}`);
  else console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`);
  process.exit(failedSteps.length || totals.failed ? 1 : 0);
}
