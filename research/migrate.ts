/**
 * How fast `migrate` goes: legacy data on a private redis-server (half the users with a 1.x LIST
 * index and sessions set with the ~54-year `EX`, half with a 2.x SET index and `EXAT` expiries;
 * ten sessions per user, one in ten dead), then a dry run, the run, and a second run (nothing
 * left to do), each timed in keys scanned per second, with Redis's memory before and after.
 *
 * ```sh
 * deno run -A research/migrate.ts                      # 1,000,000 sessions, 100,000 users
 * deno run -A research/migrate.ts --sessions 200000
 * deno run -A research/migrate.ts --smoke              # 20,000 sessions: a few seconds
 * ```
 *
 * Prints a markdown table on stdout and writes research/.runs/migrate.json (or
 * migrate-smoke.json; `--out FILE` elsewhere). `deno run -A research/run.ts` runs it too, and
 * its section of research/RESULTS.md renders that JSON. Progress of each run on stderr. Never
 * touches REDIS_URL: it starts, fills and stops its own server.
 *
 * @module
 */
import process from "node:process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createClient } from "redis5";
import { openRedis } from "../cli.ts";
import { withContext } from "../src/cli/context.ts";
import type { CliIo } from "../src/cli/io.ts";
import { migrateCommand, type MigrateSummary } from "../src/cli/migrate.ts";
import { count } from "../src/cli/format.ts";
import { startRedisServer } from "../scripts/redis/server.ts";
import { type MigrateResult, migrateSection } from "./report/migrate.ts";
import { machine, versions } from "../bench/run_env.ts";

const HOUR = 3_600_000;
const PER_USER = 10;
const ROOT = new URL("..", import.meta.url).pathname;

function option(name: string): string | undefined {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  return args[at].includes("=") ? args[at].split("=")[1] : args[at + 1];
}

const smoke = process.argv.includes("--smoke");
const sessions = Number(option("sessions") ?? (smoke ? 20_000 : 1_000_000));
const batch = Number(option("batch") ?? 500);
const out = option("out") ?? `${ROOT}research/.runs/migrate${smoke ? "-smoke" : ""}.json`;
if (!Number.isSafeInteger(sessions) || sessions < PER_USER) {
  throw new RangeError(`Cannot run: --sessions must be a whole number >= ${PER_USER}`);
}
const users = Math.floor(sessions / PER_USER);

type Client = ReturnType<typeof createClient>;

/** A 40-character id, as Lucia makes them. */
const idOf = (user: number, n: number) => `${user.toString(36)}x${n}`.padEnd(40, "k");

/** Writes the legacy data, a thousand users' commands at a time. */
async function seed(client: Client): Promise<void> {
  const now = Date.now();
  for (let from = 0; from < users; from += 1000) {
    const pending: Promise<unknown>[] = [];
    for (let user = from; user < Math.min(from + 1000, users); user++) {
      const userId = `user${user}`;
      const era1 = user % 2 === 0;
      const ids: string[] = [];
      for (let n = 0; n < PER_USER; n++) {
        const id = idOf(user, n);
        ids.push(id);
        const idle = n === 0
          ? now - 60_000
          : now + (1 + (user * PER_USER + n) % 240) * HOUR / 4 + 437;
        const session = {
          id,
          user_id: userId,
          active_expires: idle - HOUR / 2,
          idle_expires: idle,
        };
        const json = JSON.stringify(session);
        // 1.x: the timestamp as a relative EX; 2.x: EXAT, rounded down (a dead one is gone).
        if (era1) {
          pending.push(client.sendCommand(["SET", `session:${id}`, json, "EX", String(idle)]));
        } else if (idle > now) {
          pending.push(
            client.sendCommand([
              "SET",
              `session:${id}`,
              json,
              "EXAT",
              String(Math.floor(idle / 1000)),
            ]),
          );
        }
      }
      pending.push(client.sendCommand([era1 ? "RPUSH" : "SADD", `userSession:${userId}`, ...ids]));
    }
    await Promise.all(pending);
    if (from % 20_000 === 0) {
      process.stderr.write(`\rseeding: ${count(from)} of ${count(users)} users`);
    }
  }
  process.stderr.write(`\rseeding: ${count(users)} of ${count(users)} users\n`);
}

async function usedMemory(client: Client): Promise<number> {
  const info = String(await client.sendCommand(["INFO", "memory"]));
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Runs `migrate --json` through the tool's own code and connection; progress on stderr. */
async function migrate(url: string, dryRun: boolean): Promise<MigrateSummary> {
  let out = "";
  const io: CliIo = {
    args: [],
    env: {},
    stdout: (text) => void (out += text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    openRedis,
  };
  const options: Record<string, number | boolean> = { batch };
  if (dryRun) options["dry-run"] = true;
  await withContext(
    io,
    { url, cluster: false, json: true },
    (context) =>
      migrateCommand.run(context, { command: "migrate", positionals: [], options, help: false }),
  );
  return JSON.parse(out);
}

const server = await startRedisServer({ env: "" }); // Always a private server: it is filled.
const client: Client = createClient({ url: server.url });
await client.connect();
try {
  const started = Date.now();
  await seed(client);
  const seeded = { seconds: (Date.now() - started) / 1000, keys: Number(await client.dbSize()) };
  const before = await usedMemory(client);
  const runs: [string, MigrateSummary][] = [];
  for (const [name, dry] of [["dry run", true], ["run", false], ["second run", false]] as const) {
    process.stderr.write(`${name}:\n`);
    runs.push([name, await migrate(server.url, dry)]);
  }
  const after = await usedMemory(client);
  const keysAfter = Number(await client.dbSize());
  const result: MigrateResult & Record<string, unknown> = {
    date: new Date().toISOString(),
    sessions,
    users,
    batch,
    redis: server.version,
    seeded,
    memory: { before, after },
    keysAfter,
    runs: Object.fromEntries(runs),
    versions: versions(),
    machine: machine(),
  };
  // The same section `deno task bench` renders into RESULTS.md, and the machine it ran on.
  const { cpu, cores } = machine();
  process.stdout.write(
    [...migrateSection(result), `Machine: ${cpu}, ${cores} cores.`, ""].join("\n"),
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  process.stderr.write(`wrote ${out.startsWith(ROOT) ? out.slice(ROOT.length) : out}\n`);
} finally {
  await client.quit();
  await server.stop();
}
