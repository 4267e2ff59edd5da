/**
 * docs/cli.md's examples, rerun: a private redis-server, a dataset of 30,000 users
 * left by lucia-auth 1.x's adapter (a LIST index, sessions with the ~54-year `EX`, one dead
 * session each) beside a few written by this adapter and by 2.1.2
 * (tests/helpers/cli_fixture.ts), then each command in turn, printed as the tool prints it. Run
 * it in a terminal to see migrate's progress bar; elsewhere it prints plain progress lines.
 *
 * ```sh
 * deno task cli:example
 * ```
 *
 * @module
 */
import process from "node:process";
import { createClient } from "redis5";
import { main, openRedis } from "../cli.ts";
import { seed } from "../tests/helpers/cli_fixture.ts";
import type { Admin } from "../tests/helpers/harness.ts";
import { startRedisServer } from "../scripts/redis/server.ts";

const USERS = 30_000;
const PER_USER = 10;
const HOUR = 3_600_000;

/** Writes the 1.x users, 500 at a time. */
async function seedLegacy(admin: ReturnType<typeof createClient>): Promise<void> {
  const now = Date.now();
  for (let from = 0; from < USERS; from += 500) {
    const pending: Promise<unknown>[] = [];
    for (let u = from; u < Math.min(from + 500, USERS); u++) {
      const ids: string[] = [];
      for (let n = 0; n < PER_USER; n++) {
        const id = `u${u}x${n}`.padEnd(40, "k");
        ids.push(id);
        const idle = n === 0 ? now - 60_000 : now + (n + u % 50) * HOUR;
        const session = {
          id,
          user_id: `user${u}`,
          active_expires: idle - HOUR / 2,
          idle_expires: idle,
        };
        // 1.x passed the timestamp as a relative EX: a ~54-year TTL.
        pending.push(
          admin.sendCommand(["SET", `session:${id}`, JSON.stringify(session), "EX", String(idle)]),
        );
      }
      pending.push(admin.sendCommand(["RPUSH", `userSession:user${u}`, ...ids]));
    }
    await Promise.all(pending);
  }
}

const server = await startRedisServer({ env: "" }); // Always a private server: it is filled.
const admin = createClient({ url: server.url });
await admin.connect();
try {
  await seed(admin as unknown as Admin, { session: "session", userSession: "userSession" });
  await seedLegacy(admin);
  const run = async (...args: string[]) => {
    process.stdout.write(`\n$ adapter-session-redis ${args.join(" ")}\n`);
    const code = await main({
      args,
      env: { ...process.env, REDIS_URL: server.url },
      stdout: (text) => void process.stdout.write(text),
      stderr: (text) => void process.stderr.write(text),
      stderrIsTTY: process.stderr.isTTY === true,
      openRedis,
    });
    if (code !== 0) process.stdout.write(`(exit code ${code})\n`);
  };
  await run("stats");
  await run("migrate", "--dry-run");
  await run("migrate");
  await run("migrate");
  await run("stats");
  await run("sessions", "user7");
  await run("sessions", "u1", "--json", "--full-ids");
  await run("revoke", "a1", "nope");
  await run("revoke-user", "u1", "user7");
  await run("doctor");
  // A server set up the way doctor warns about.
  await admin.configSet({ "maxmemory-policy": "allkeys-lru", maxmemory: "1gb", save: "3600 1" });
  await run("doctor");
} finally {
  await admin.quit();
  await server.stop();
}
