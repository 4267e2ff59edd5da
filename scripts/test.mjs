#!/usr/bin/env node
// The whole test suite, as the README's test command and CI run it: static checks, then the
// tests on Deno and on Bun (each test file starts its own private redis-server, or uses
// REDIS_URL), then the npm package on Node, then a smoke run of the benchmark.
//
// Usage: node scripts/test.mjs [--quick]   (--quick: static checks + Deno + Bun only)
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const quick = process.argv.includes("--quick");

const totals = { passed: 0, failed: 0 };
const failedSteps = [];

/** Runs a command, echoing its output; returns { code, output }. */
function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const echo = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on("data", echo(process.stdout));
    child.stderr.on("data", echo(process.stderr));
    child.on("error", (error) => resolve({ code: 127, output: String(error) }));
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

async function step(title, cmd, args, { env, count } = {}) {
  console.log(`\n=== ${title}\n$ ${[cmd.replace(root + "/", ""), ...args].join(" ")}`);
  const { code, output } = await run(cmd, args, env);
  if (count) {
    const { passed, failed } = count(output);
    totals.passed += passed;
    totals.failed += failed;
  }
  if (code !== 0) failedSteps.push(title);
  return code === 0;
}

// Deno: "ok | 3 passed (83 steps) | 0 failed": tests are counted with their steps.
const denoCount = (output) => {
  const m = /\| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?/.exec(
    output,
  );
  if (!m) return { passed: 0, failed: 1 };
  return { passed: Number(m[2] ?? m[1]), failed: Number(m[4] ?? m[3]) };
};
// Bun: " 67 pass\n 0 fail"
const bunCount = (output) => {
  const passed = /^\s*(\d+) pass$/m.exec(output);
  const failed = /^\s*(\d+) fail$/m.exec(output);
  if (!passed || !failed) return { passed: 0, failed: 1 };
  return { passed: Number(passed[1]), failed: Number(failed[1]) };
};
// node --test: "# pass 12" / "# fail 0"
const nodeCount = (output) => {
  let passed = 0, failed = 0;
  for (const m of output.matchAll(/^# pass (\d+)$/gm)) passed += Number(m[1]);
  for (const m of output.matchAll(/^# fail (\d+)$/gm)) failed += Number(m[1]);
  return { passed, failed };
};

const deno = bin("deno");
const bun = bin("bun");
if (!existsSync(deno) || !existsSync(bun)) {
  console.error("Deno and Bun come from npm: run `npm ci` first.");
  process.exit(2);
}

// Library code must stay runtime-neutral: no Node, Deno or Bun APIs in mod.ts and src/.
const forbidden = /\bfrom\s+["'](node:|bun["'])|\bDeno\.|\bBun\.|\bprocess\.|\bBuffer\b|require\(/;
const offenders = ["mod.ts", ...readdirSync(join(root, "src")).map((f) => `src/${f}`)]
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
await step("type-check (Deno)", deno, ["check", "mod.ts", "src/", "tests/", "scripts/", "bench/"]);
await step("type-check src/ with only ES + Web globals", bin("tsc"), [
  "-p",
  "scripts/tsconfig.neutral.json",
]);
await step("doc lint", deno, ["doc", "--lint", "mod.ts"]);
await step("every export has an @example", deno, [
  "run",
  "--allow-read",
  "--allow-run",
  "scripts/check_docs.ts",
]);
await step("doc examples", deno, ["test", "--doc", "--allow-all", "mod.ts", "src/"], {
  count: denoCount,
});
await step("JSR publish dry run", deno, ["publish", "--dry-run", "--allow-dirty"]);
await step("tests on Deno", deno, ["test", "--allow-all", "tests/"], { count: denoCount });
await step("tests on Bun", bun, ["test", "--timeout", "120000", "tests/"], { count: bunCount });

if (!quick) {
  if (existsSync(join(root, "scripts", "build_npm.ts"))) {
    await step("npm package: build, check, and test on Node", deno, [
      "run",
      "--allow-all",
      "scripts/build_npm.ts",
    ], { count: nodeCount });
  }
  if (existsSync(join(root, "bench", "run.ts"))) {
    await step("benchmark smoke run (no speed assertions)", deno, ["task", "bench:smoke"]);
  }
}

console.log(`\n=== summary`);
if (failedSteps.length) console.log(`failed steps: ${failedSteps.join("; ")}`);
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed`);
process.exit(failedSteps.length || totals.failed ? 1 : 0);
