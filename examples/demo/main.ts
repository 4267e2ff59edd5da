/**
 * Starts the demo: `npm run demo` (on Deno), `npm run demo:bun` (on Bun), or
 * `npx deno task demo`.
 *
 * Environment:
 * - `PORT`: where to listen (default 8000); `HOST`: interface to bind (default 127.0.0.1).
 * - `REDIS_URL`: the Redis for the sessions. Without it, a private redis-server from PATH is
 *   started on a free loopback port with persistence off and stopped on exit.
 * - `DEMO_DATA_FILE`: the JSON file for users and keys (default `.tmp/demo/users.json` in the
 *   repository), or `:memory:` to keep them in memory only.
 *
 * @module
 */
import process from "node:process";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { type RedisServer, startRedisServer } from "../../scripts/redis/server.ts";
import { createDemoApp } from "./app.ts";
import { connectRedis, RECONNECT_INTERVAL_MS, type RedisStatus } from "./redis_watch.ts";
import { runtimeName, serve } from "./serve.ts";
import { openUserStore } from "./user_store.ts";

/** Options of {@link startDemo}; each falls back to the environment, then to a default. */
export interface DemoOptions {
  /** Port to listen on; 0 for any free port. */
  port?: number;
  /** Interface to bind. */
  hostname?: string;
  /**
   * The Redis to use; undefined: `REDIS_URL`, else a private redis-server; null: always a
   * private redis-server.
   */
  redisUrl?: string | null;
  /** The users file; null keeps users in memory. */
  dataFile?: string | null;
  /** Where log lines go (default: `console.error`). */
  log?: (line: string) => void;
}

/** A running demo. */
export interface RunningDemo {
  /** Where to open it. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** The Redis holding its sessions. */
  readonly redis: RedisServer;
  /** Lines describing where the data lives, for the start-up banner. */
  readonly description: string[];
  /** The state of the connection to Redis. */
  redisStatus(): RedisStatus;
  /** Stops the server, disconnects from Redis, stops a private redis-server, flushes users. */
  stop(): Promise<void>;
}

const DEFAULT_DATA_FILE = fileURLToPath(new URL("../../.tmp/demo/users.json", import.meta.url));

function dataFileFromEnv(): string | null {
  const value = process.env.DEMO_DATA_FILE;
  if (value === ":memory:") return null;
  return value || DEFAULT_DATA_FILE;
}

/** The npm script that starts the demo on the runtime running now. */
function demoCommand(): string {
  return runtimeName().startsWith("Bun") ? "npm run demo:bun" : "npm run demo";
}

function shortPath(file: string): string {
  const path = relative(process.cwd(), file);
  return path && !path.startsWith("..") ? path : file;
}

/** Starts the demo and resolves once it is listening. */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const port = options.port ?? 8000;
  const hostname = options.hostname ?? "127.0.0.1";
  const dataFile = options.dataFile === undefined ? dataFileFromEnv() : options.dataFile;
  const userStore = await openUserStore(dataFile);

  const log = options.log ?? ((line: string) => console.error(line));
  // `env: ""` makes startRedisServer ignore REDIS_URL and start a private server.
  const redisServer = await startRedisServer({
    env: options.redisUrl === null ? "" : options.redisUrl,
  });
  const cleanups: (() => Promise<unknown>)[] = [() => redisServer.stop()];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error) => log(`demo: while stopping: ${error}`));
    }
    await userStore.flush();
  };
  try {
    const where = `${redisServer.host}:${redisServer.port}`;
    const redis = await connectRedis({ server: redisServer, log, restartCommand: demoCommand() });
    cleanups.push(() => redis.close());
    const client = redis.client;

    const storage = {
      redis: redisServer.owned
        ? `a private redis-server ${redisServer.version} on ${where}, persistence off`
        : `REDIS_URL, ${where}`,
      users: dataFile ? `the file ${shortPath(dataFile)}` : "memory only",
    };
    const app = createDemoApp({
      redisClient: client,
      userStore,
      storage,
      redisStatus: redis.status,
      log,
      retryAfterSeconds: Math.ceil(RECONNECT_INTERVAL_MS / 1000),
    });
    const server = await serve(app.handle, port, hostname);
    cleanups.push(() => server.close());

    const shownHost = ["127.0.0.1", "0.0.0.0", "::", "::1"].includes(hostname)
      ? "localhost"
      : hostname;
    return {
      url: `http://${shownHost}:${server.port}`,
      port: server.port,
      redis: redisServer,
      redisStatus: redis.status,
      description: [
        `Sessions: ${storage.redis}${redisServer.owned ? " (stopped when the demo exits)" : ""}`,
        `Users:    ${storage.users}`,
      ],
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function explain(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!process.env.REDIS_URL && /not on PATH/.test(message)) {
    return "The demo keeps its sessions in Redis, and there is none to use.\n" +
      "  Either install redis-server so it is on PATH (Debian/Ubuntu: `apt-get install " +
      "redis-server`;\n  macOS: `brew install redis`) and the demo starts a private one,\n" +
      `  or point it at yours: REDIS_URL=redis://host:6379 ${demoCommand()}`;
  }
  if (/AddrInUse|EADDRINUSE|in use/i.test(message)) {
    return `${message}\n  Another program uses this port: choose another, e.g. ` +
      `PORT=8001 ${demoCommand()}`;
  }
  return message;
}

/** How to run the demo on the other runtime, for the banner. */
function otherRuntime(): string {
  return runtimeName().startsWith("Bun") ? "on Deno: npm run demo" : "on Bun: npm run demo:bun";
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT || 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`demo: PORT must be a port number, got "${process.env.PORT}"`);
    process.exit(2);
  }
  let demo: RunningDemo;
  try {
    demo = await startDemo({ port, hostname: process.env.HOST || "127.0.0.1" });
  } catch (error) {
    console.error(`demo: cannot start.\n  ${explain(error)}`);
    process.exit(1);
  }
  // A private redis-server must not outlive the demo, even on an unexpected exit.
  process.on("exit", () => void demo.redis.stop());
  // lucia-auth 1.x leaves some adapter promises unawaited (createSession's Promise.all,
  // deleteDeadUserSessions): when Redis fails, their rejections would end the process. While
  // Redis is down they are expected (its state line says so); otherwise one line each.
  process.on("unhandledRejection", (reason) => {
    if (!demo.redisStatus().up) return;
    const message = reason instanceof Error ? reason.message : String(reason);
    console.error(`demo: a background Redis operation failed: ${message}`);
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    // Ctrl+C can arrive twice (from the terminal and from `deno task`/`bun run`): stop once.
    if (stopping) return;
    stopping = true;
    console.log(`\ndemo: ${signal}: stopping...`);
    setTimeout(() => {
      console.error("demo: stopping took too long; exiting anyway.");
      process.exit(1);
    }, 5000).unref();
    await demo.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  console.log(
    [
      `Lucia v1 demo with sessions in Redis, running on ${runtimeName()} (${otherRuntime()})`,
      `  Open:     ${demo.url}`,
      ...demo.description.map((line) => `  ${line}`),
      "Press Ctrl+C to stop.",
    ].join("\n"),
  );
}

if (import.meta.main) await main();
