/**
 * The command line's connection and its wording. Every command, run as a program under the runtime
 * running this file (`deno run cli.ts` under `deno test`, `bun cli.ts` under `bun test`), against
 * fronts that are not Redis (tests/helpers/fake_servers.ts): one that closes the connection, one
 * that answers in HTTP, one that says nothing; in a terminal too, where `script` exists. Then, in
 * this process: a Redis that wants a password (a hint, the password never echoed), plurals, and
 * session ids shortened unless `--full-ids`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import process from "node:process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import redisV1 from "../mod.ts";
import { shortId } from "../src/core/errors.ts";
import { plural } from "../src/cli/format.ts";
import { COMMANDS } from "../src/cli/main.ts";
import { rawCommand, type RedisServer, startRedisServer } from "../scripts/redis/server.ts";
import { cli, nsArgs } from "./helpers/cli_fixture.ts";
import { type FakeKind, type FakeServer, startFakeServer } from "./helpers/fake_servers.ts";
import { TIMER_LATENESS_MS } from "./faults/budget.ts";
import { freshNamespaces, session, useRedis } from "./helpers/harness.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TOOL = "adapter-session-redis";

/** The runtime running this file, running cli.ts. */
const RUNTIME = "Deno" in globalThis ? ["run", "-A", "cli.ts"] : ["cli.ts"];

/** Every command of the table, with the positional arguments it needs; and one with --cluster. */
const INVOCATIONS: string[][] = [
  ...COMMANDS.map((c) => [c.name, ...Array.from({ length: c.positionals.min }, () => "x")]),
  ["stats", "--cluster"],
];

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  /** When the program had exited, in `performance.now()` milliseconds of this process. */
  endedAt: number;
}

/** Runs cli.ts as a program with `args`; REDIS_URL is not set. */
function runCli(args: string[]): Promise<Exit> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  delete env.REDIS_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...RUNTIME, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "", stderr = "";
    child.stdout.on("data", (chunk) => stdout += chunk);
    child.stderr.on("data", (chunk) => stderr += chunk);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, endedAt: performance.now() }));
  });
}

/** What the tool must say on each front, after `cannot connect to <url>: `. */
const SAYS: Record<FakeKind, RegExp> = {
  closing:
    /the server closed the connection without a Redis reply: not a Redis server, or one that wants TLS \(rediss:\/\/\)$/,
  http: /the server does not speak the Redis protocol \(it answered in HTTP\): not a Redis server$/,
  silent:
    /no Redis reply within \d[\d,]* ms \(--connect-timeout\): not a Redis server, or an unreachable one$/,
};

/** Exit 1, nothing on stdout, one line on stderr naming the front and saying `says`. */
function assertConnectError(exit: Exit, fake: FakeServer, says: RegExp, what: string): void {
  assert.equal(exit.code, 1, `${what}: exit code (stderr ${JSON.stringify(exit.stderr)})`);
  assert.equal(exit.stdout, "", `${what}: stdout`);
  const line = exit.stderr.replace(/\r?\n$/, "");
  assert.ok(!/[\r\n]/.test(line) && line !== exit.stderr, `${what}: one line, ${exit.stderr}`);
  assert.ok(line.startsWith(`${TOOL}: cannot connect to ${fake.url}: `), `${what}: ${line}`);
  assert.match(line, says, what);
}

describe("The command line on a server that is not Redis", () => {
  const fakes = {} as Record<FakeKind, FakeServer>;
  before(async () => {
    for (const kind of ["closing", "http", "silent"] as const) {
      fakes[kind] = await startFakeServer(kind);
    }
  });
  after(async () => {
    for (const fake of Object.values(fakes)) await fake.close();
  });

  // A connect timeout no passing run reaches: only the front's own behaviour ends these (a tool
  // that waited for the timeout instead would say so, and fail the message check).
  for (const kind of ["closing", "http"] as const) {
    it(
      `every command exits 1 with one line when the server ${
        kind === "closing" ? "closes the connection at once" : "answers in HTTP and closes"
      }`,
      async () => {
        const fake = fakes[kind];
        const accepted = fake.accepted;
        const exits = await Promise.all(
          INVOCATIONS.map((args) =>
            runCli([...args, "--url", fake.url, "--connect-timeout", "60000"])
          ),
        );
        exits.forEach((exit, i) =>
          assertConnectError(exit, fake, SAYS[kind], INVOCATIONS[i].join(" "))
        );
        assert.ok(fake.accepted >= accepted + INVOCATIONS.length, "every run got connected");
      },
    );
  }

  it("every command exits 1 with one line within its connect timeout when the server says nothing", async () => {
    const fake = fakes.silent;
    const timeout = 300;
    for (const args of INVOCATIONS) {
      const what = args.join(" ");
      const before = fake.accepted;
      const exit = await runCli([...args, "--url", fake.url, "--connect-timeout", String(timeout)]);
      assertConnectError(exit, fake, /no Redis reply within 300 ms \(--connect-timeout\)/, what);
      // From the moment the front accepted the connection: the timeout, then a late timer and
      // the exit (the runtime's start, before it, is not the timeout's).
      const ms = exit.endedAt - fake.acceptedAt[before];
      const budget = timeout + 2 * TIMER_LATENESS_MS;
      assert.ok(ms < budget, `${what}: exited ${ms} ms after connecting, budget ${budget} ms`);
    }
  });

  const script = spawnSync("script", ["--version"], { stdio: "ignore" });
  it("in a terminal too (script), stats exits 1 with one line on each front", {
    skip: script.status === 0 ? false : "`script` (util-linux) is not installed",
  }, async () => {
    for (const kind of ["closing", "http", "silent"] as const) {
      const fake = fakes[kind];
      const timeout = kind === "silent" ? "300" : "60000";
      const command = [process.execPath, ...RUNTIME, "stats", "--url", fake.url]
        .concat(["--connect-timeout", timeout])
        .map((word) => `'${word}'`).join(" ");
      // `script` gives the command a terminal and copies what it writes there (stdout and stderr
      // alike, lines ending in \r\n) to its own stdout; -e passes the exit code on.
      const exit = await new Promise<Exit>((resolve, reject) => {
        const child = spawn("script", ["-qec", command, "/dev/null"], {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        child.stdout.on("data", (chunk) => stdout += chunk);
        child.on("error", reject);
        child.on(
          "close",
          (code) => resolve({ code, stdout: "", stderr: stdout, endedAt: performance.now() }),
        );
      });
      assertConnectError(exit, fake, SAYS[kind], `${kind} in a terminal`);
    }
  });

  it("--connect-timeout takes a whole number of milliseconds", async () => {
    const run = await cli(fakes.silent.url, ["stats", "--connect-timeout", "0"]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^adapter-session-redis: --connect-timeout must be between 1 and/);
  });
});

describe("The command line on a Redis that wants a password", () => {
  let server: RedisServer;
  const password = "s3cret-pw";
  before(async () => {
    server = await startRedisServer({ env: "" }); // Its own: it gets a password.
    const reply = await rawCommand(server.host, server.port, `CONFIG SET requirepass ${password}`);
    assert.equal(reply.trim(), "+OK");
  });
  after(async () => await server?.stop());

  it("every command without a password exits 1 with one line saying where credentials go", async () => {
    for (const args of INVOCATIONS) {
      const run = await cli(server.url, args);
      assert.equal(run.code, 1, args.join(" "));
      assert.equal(run.stdout, "");
      assert.match(
        run.stderr,
        /^adapter-session-redis: [^\n]*NOAUTH Authentication required\. The server wants a password: give it in the URL: --url redis:\/\/user:password@host:port \(or REDIS_URL\)\n$/,
        args.join(" "),
      );
    }
  });

  it("a wrong password exits 1 with the hint, and the password is not echoed", async () => {
    const wrong = server.url.replace("redis://", "redis://:wrong-pw@");
    for (const args of [["stats"], ["doctor"], ["stats", "--cluster"]]) {
      const run = await cli(wrong, args);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /^adapter-session-redis: cannot connect to redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS [^\n]*\. Check the user name and password in the URL: --url redis:\/\/user:password@host:port \(or REDIS_URL\)\n$/,
      );
      assert.ok(!run.stderr.includes("wrong-pw"));
    }
    const right = await cli(server.url.replace("redis://", `redis://:${password}@`), [
      "sessions",
      "nobody",
      "--json",
    ]);
    assert.deepEqual([right.code, right.stdout, right.stderr], [0, "[]\n", ""]);
  });
});

describe("The command line's wording", () => {
  const redis = useRedis();
  const idOf = (n: number) => `${n}`.padEnd(40, "k");

  it("plural counts a noun: 1 session, 0 sessions, 1,234 keys, 2 primaries", () => {
    assert.equal(plural(1, "session"), "1 session");
    assert.equal(plural(0, "session"), "0 sessions");
    assert.equal(plural(1234, "key"), "1,234 keys");
    assert.equal(plural(2, "primary", "primaries"), "2 primaries");
  });

  it("revoke and revoke-user count sessions, ids and users in the singular and the plural", async () => {
    const ns = freshNamespaces();
    const adapter = redisV1(redis.admin, {
      namespaces: { session: ns.session, userSession: ns.userSession },
    })();
    for (const n of [1, 2, 3]) await adapter.setSession(session(idOf(n), n === 3 ? "v" : "u"));
    const revoke = async (...args: string[]) =>
      (await cli(redis.server.url, [...args, ...nsArgs(ns)])).stdout;
    assert.equal(await revoke("revoke", "nope"), "revoked 0 sessions (the 1 id had none)\n");
    assert.equal(await revoke("revoke", "a", "b"), "revoked 0 sessions (the 2 ids had none)\n");
    assert.equal(
      await revoke("revoke", idOf(1), "nope"),
      "revoked 1 session (1 of the 2 ids had none)\n",
    );
    assert.equal(await revoke("revoke-user", "u", "w"), "revoked 1 session of 2 users\n");
    assert.equal(await revoke("revoke-user", "v"), "revoked 1 session of 1 user\n");
    assert.equal(await revoke("revoke-user", "v"), "revoked 0 sessions of 1 user\n");
  });

  it("sessions shortens ids as the adapter's messages do, and prints them whole with --full-ids", async () => {
    const ns = freshNamespaces();
    const adapter = redisV1(redis.admin, {
      namespaces: { session: ns.session, userSession: ns.userSession },
    })();
    const ids = [idOf(1), idOf(2)];
    for (const id of ids) await adapter.setSession(session(id, "u"));
    const list = (...args: string[]) =>
      cli(redis.server.url, ["sessions", "u", ...args, ...nsArgs(ns)]);

    const text = await list();
    assert.equal(text.code, 0);
    const firsts = text.stdout.trimEnd().split("\n").map((line) => line.split(/\s+/)[0]);
    assert.deepEqual(firsts.sort(), ids.map(shortId).sort());
    assert.equal(shortId(ids[0]), "1kkkkk…");
    for (const id of ids) assert.ok(!text.stdout.includes(id), "no whole id in text");
    const json = await list("--json");
    assert.deepEqual(JSON.parse(json.stdout).map((s: { id: string }) => s.id), firsts);
    for (const id of ids) assert.ok(!json.stdout.includes(id), "no whole id in JSON");

    const full = await list("--full-ids");
    assert.deepEqual(
      full.stdout.trimEnd().split("\n").map((line) => line.split(/\s+/)[0]).sort(),
      [...ids].sort(),
    );
    const fullJson = await list("--full-ids", "--json");
    assert.deepEqual(JSON.parse(fullJson.stdout).map((s: { id: string }) => s.id).sort(), ids);

    const help = await cli(redis.server.url, ["sessions", "--help"]);
    assert.match(help.stdout, /^ {2}--full-ids +Print whole session ids/m);
    // A shortened id revokes nothing, and revoke says why.
    const revoked = await cli(redis.server.url, ["revoke", shortId(ids[0]), ...nsArgs(ns)]);
    assert.match(
      revoked.stdout,
      /^revoked 0 sessions \(the 1 id had none; an id ending in … is shortened: list whole ones with `sessions <userId> --full-ids`\)\n$/,
    );
  });
});
