/**
 * The operations command line of `@lucia-auth/adapter-session-redis`: `stats`, `sessions`,
 * `revoke`, `revoke-user`, `doctor` (and `migrate`) over the sessions the adapter keeps in
 * Redis. It connects with node-redis 5 (a cluster client with `--cluster`); the commands
 * themselves are runtime-neutral (`src/cli/`), and this module is their host on Deno, Bun and
 * Node.
 *
 * @example Running it
 * ```sh
 * deno run -A jsr:@lucia-auth/adapter-session-redis/cli stats --url redis://127.0.0.1:6379
 * npx @lucia-auth/adapter-session-redis doctor          # or bunx; REDIS_URL is honoured
 * npx @lucia-auth/adapter-session-redis sessions user-1 --json
 * npx @lucia-auth/adapter-session-redis --help
 * ```
 *
 * Exit codes: 0 success, 1 a failed check or an error, 2 bad usage; the error in one line on
 * stderr.
 *
 * @module
 */
import process from "node:process";
import {
  type CliIo,
  DEFAULT_CONNECT_TIMEOUT,
  type OpenRedis,
  type RedisTarget,
} from "./src/cli/io.ts";
import { count } from "./src/cli/format.ts";
import { main as runTool } from "./src/cli/main.ts";

export type { CliIo, OpenRedis, RedisNode, RedisTarget } from "./src/cli/io.ts";

/**
 * Runs the tool with a host of your own (arguments, environment, writers, a way to open Redis);
 * resolves with the exit code: 0 success, 1 a failed check or an error, 2 bad usage.
 *
 * @example A user's sessions as JSON, from a program of your own
 * ```ts
 * import assert from "node:assert/strict";
 * import redis from "@lucia-auth/adapter-session-redis";
 * import { main, openRedis } from "@lucia-auth/adapter-session-redis/cli";
 * import { createClient } from "redis";
 *
 * // A session stored by the adapter, as an application would:
 * const redisClient = createClient({ url: process.env.REDIS_URL });
 * await redisClient.connect();
 * const session = {
 *   id: crypto.randomUUID(),
 *   user_id: crypto.randomUUID(),
 *   active_expires: Date.now() + 60 * 60 * 1000,
 *   idle_expires: Date.now() + 2 * 60 * 60 * 1000,
 * };
 * await redis(redisClient)().setSession(session);
 *
 * let stdout = "";
 * const code = await main({
 *   args: ["sessions", session.user_id, "--json", "--full-ids"],
 *   env: { REDIS_URL: process.env.REDIS_URL },
 *   stdout: (text) => void (stdout += text),
 *   stderr: (text) => console.error(text),
 *   stderrIsTTY: false,
 *   openRedis, // node-redis 5, as the command line itself connects
 * });
 * assert.equal(code, 0);
 * assert.deepEqual(JSON.parse(stdout), [{
 *   id: session.id,
 *   state: "active",
 *   activeExpires: session.active_expires,
 *   idleExpires: session.idle_expires,
 * }]);
 *
 * await redis(redisClient)().deleteSession(session.id);
 * await redisClient.quit();
 * ```
 *
 * @example A usage error: exit code 2, one line on stderr, Redis never opened
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@lucia-auth/adapter-session-redis/cli";
 *
 * let stderr = "";
 * const code = await main({
 *   args: ["stats", "--frob"],
 *   env: {},
 *   stdout: () => {},
 *   stderr: (text) => void (stderr += text),
 *   stderrIsTTY: false,
 *   openRedis: () => Promise.reject(new Error("not reached")),
 * });
 * assert.equal(code, 2);
 * assert.equal(stderr.split("\n").length, 2);
 * assert.match(stderr, /^adapter-session-redis: unknown option "--frob" for stats/);
 * ```
 */
export function main(io: CliIo): Promise<number> {
  return runTool(io);
}

/**
 * node-redis 5, which {@linkcode openRedis} loads when a command connects. A dynamic import on
 * purpose: `deno doc` does not follow it into node-redis's declarations, which reference Node's
 * types, whose `/// <reference path>` lines Deno's doc graph fails to resolve (59 warnings from
 * `deno doc --lint cli.ts`). `deno check` still types it whole, and esbuild bundles it into the
 * npm bin as before.
 */
type NodeRedis = typeof import("redis5");

/** Runs `close`, ignoring that the client is closed already (node-redis throws then). */
function quietly(close: () => void): void {
  try {
    close();
  } catch {
    // Closed already.
  }
}

/** No reconnection and no offline queue: an unreachable server fails at once. */
function socketOptions(timeout: number) {
  return { connectTimeout: timeout, reconnectStrategy: false } as const;
}

/** What {@linkcode connected} needs of a node-redis client or cluster. */
interface ConnectingClient {
  on(event: "error", listener: (error: unknown) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): void;
}

/** How {@linkcode connected} connects. */
interface Connecting {
  /** Milliseconds for all of it. */
  readonly timeout: number;
  /** True for `rediss://`: the words for a server that closes the connection differ. */
  readonly tls: boolean;
  /**
   * True to give up at the client's first error: false for a cluster with several root nodes,
   * where node-redis reports one node's error and goes on to the next.
   */
  readonly failFast: boolean;
  /** node-redis, for its error classes. */
  readonly redis: NodeRedis;
}

/**
 * Connects `client` (a node-redis client or cluster) and runs `check` on it, all within
 * `timeout` ms; on failure closes it and rejects with the first error the client reported, in
 * words ({@linkcode explain}). node-redis alone is not enough here: when the server closes the
 * connection during its handshake, `connect()` resolves and every later command waits forever
 * (and with nothing else pending, the runtime ends or spins), so the first error event, or the
 * timer, decides.
 */
async function connected<C extends ConnectingClient>(
  client: C,
  { timeout, tls, failFast, redis }: Connecting,
  check: (client: C) => Promise<void>,
): Promise<C> {
  const reported: unknown[] = [];
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => fail = reject);
  // A listener for the client's whole life (without one an error event throws); once connected,
  // an error reaches the command it fails instead.
  client.on("error", (error) => {
    reported.push(error);
    if (failFast) fail(error);
  });
  const timer = setTimeout(() => fail(new TimedOut()), timeout);
  const attempt = client.connect().then(() => check(client));
  // Whichever loses the race settles later, unobserved.
  attempt.catch(() => {});
  failed.catch(() => {});
  try {
    await Promise.race([attempt, failed]);
    return client;
  } catch (error) {
    quietly(() => client.destroy());
    // The client's first error says more than a later "closed", "unavailable" or the timeout.
    throw explain(reported[0] ?? error, timeout, tls, redis);
  } finally {
    clearTimeout(timer);
  }
}

/** The connect timeout passed, with the connection made but no reply yet (or no connection). */
class TimedOut extends Error {}

/**
 * Proves that a Redis answers on `client`: `PING`, whose reply is `PONG`, or an error reply
 * other than NOAUTH and WRONGPASS (an ACL may refuse `PING` itself; that is still Redis).
 */
async function pinged(
  client: { sendCommand(args: string[]): Promise<unknown> },
  { ErrorReply }: NodeRedis,
): Promise<void> {
  try {
    await client.sendCommand(["PING"]);
  } catch (error) {
    if (!(error instanceof ErrorReply) || /^(NOAUTH|WRONGPASS)\b/.test(error.message)) throw error;
  }
}

/** What went wrong while connecting, in words: node-redis's own errors say little of it. */
function explain(
  error: unknown,
  timeout: number,
  tls: boolean,
  { ConnectionTimeoutError, SocketClosedUnexpectedlyError }: NodeRedis,
): unknown {
  const within = `${count(timeout)} ms (--connect-timeout)`;
  if (error instanceof TimedOut || error instanceof ConnectionTimeoutError) {
    // A TLS handshake with a server that does not speak TLS waits too.
    const what = error instanceof TimedOut ? "Redis reply" : "connection";
    return new Error(
      `no ${what} within ${within}: not a Redis server, ` +
        (tls ? "one without TLS (redis://), " : "") + "or an unreachable one",
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (
    error instanceof SocketClosedUnexpectedlyError || code === "ECONNRESET" || code === "EPIPE"
  ) {
    return new Error(
      "the server closed the connection without a Redis reply: not a Redis server, or " +
        (tls ? "one without TLS (redis://)" : "one that wants TLS (rediss://)"),
    );
  }
  const type = /^Unknown RESP type (\d+)/.exec(error instanceof Error ? error.message : "");
  if (type !== null) {
    const http = Number(type[1]) === "H".charCodeAt(0);
    return new Error(
      `the server does not speak the Redis protocol${http ? " (it answered in HTTP)" : ""}: ` +
        "not a Redis server",
    );
  }
  return error;
}

/** The port of a `redis://` URL that names none: Redis's own default. */
const DEFAULT_PORT = 6379;

async function openClient(url: string, timeout: number): Promise<OpenRedis> {
  const redis = await import("redis5");
  const client = await connected(
    redis.createClient({ url, socket: socketOptions(timeout), disableOfflineQueue: true }),
    { timeout, tls: url.startsWith("rediss:"), failFast: true, redis },
    (client) => pinged(client, redis),
  );
  const { hostname, port } = new URL(url);
  return {
    client,
    primaries: () =>
      Promise.resolve([{
        address: `${hostname}:${port || DEFAULT_PORT}`,
        send: (command) => client.sendCommand(command),
      }]),
    close: () => Promise.resolve(quietly(() => client.destroy())),
  };
}

async function openCluster(urls: readonly string[], timeout: number): Promise<OpenRedis> {
  // The nodes the cluster reports are reached with the first URL's credentials and TLS.
  const first = new URL(urls[0]);
  const redis = await import("redis5");
  const cluster = await connected(
    redis.createCluster({
      rootNodes: urls.map((url) => ({ url })),
      defaults: {
        username: first.username === "" ? undefined : decodeURIComponent(first.username),
        password: first.password === "" ? undefined : decodeURIComponent(first.password),
        socket: {
          ...socketOptions(timeout),
          ...(first.protocol === "rediss:" ? { tls: true } : {}),
        },
        disableOfflineQueue: true,
      },
    }),
    { timeout, tls: first.protocol === "rediss:", failFast: urls.length === 1, redis },
    // Connecting read the cluster's slots from a root node: a Redis answered.
    () => Promise.resolve(),
  );
  return {
    client: cluster,
    primaries: () =>
      Promise.resolve(cluster.masters.map((master) => ({
        address: `${master.host}:${master.port}`,
        send: async (command: string[]) => (await cluster.nodeClient(master)).sendCommand(command),
      }))),
    close: () => Promise.resolve(quietly(() => cluster.destroy())),
  };
}

/**
 * Connects with node-redis 5: `createClient()` for one URL, `createCluster()` with `cluster`.
 * Rejects within `target.connectTimeout` ms (default 2,000) unless a Redis answered by then: when
 * nothing listens, when the server closes the connection or answers in another protocol, or
 * when it says nothing. A single server must answer `PING` (an error reply other than NOAUTH or
 * WRONGPASS will do: an ACL may refuse PING). It is what `run()` connects with: pass it as the
 * `openRedis` of a {@linkcode CliIo} of your own to run {@linkcode main} against Redis.
 *
 * @example Nothing listens on port 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { openRedis } from "@lucia-auth/adapter-session-redis/cli";
 *
 * await assert.rejects(
 *   openRedis({ urls: ["redis://127.0.0.1:1"], cluster: false, connectTimeout: 500 }),
 *   /ECONNREFUSED|no connection within 500 ms/,
 * );
 * ```
 */
export function openRedis(target: RedisTarget): Promise<OpenRedis> {
  const timeout = target.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  return target.cluster ? openCluster(target.urls, timeout) : openClient(target.urls[0], timeout);
}

/** The tool's host: this process's arguments, environment and output, and {@linkcode openRedis}. */
function processIo(): CliIo {
  return {
    args: process.argv.slice(2),
    env: process.env,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    openRedis,
  };
}

/**
 * Runs the tool in this process (its arguments, output and exit code): what the npm package's
 * `bin` and `deno run …/cli` do.
 *
 * @example A program of your own that is the tool (not run here: it would exit)
 * ```ts ignore
 * import { run } from "@lucia-auth/adapter-session-redis/cli";
 *
 * await run();
 * ```
 */
export async function run(): Promise<void> {
  const code = await runTool(processIo());
  process.exitCode = code;
  // Every connection the tool holds is closed by now, but one node-redis opened while connecting
  // may linger (a cluster's root node that never answered): exit once the output is written.
  await Promise.all([written(process.stdout), written(process.stderr)]);
  process.exit(code);
}

/**
 * How long `run()` waits for its output to be written before it exits anyway, in ms: a pipe that
 * is not read must not keep the tool alive, and a second is far more than a write takes.
 */
const FLUSH_WAIT_MS = 1000;

/** Resolves once what was written to `stream` before is out (at most FLUSH_WAIT_MS later). */
function written(stream: { write(text: string, done: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, FLUSH_WAIT_MS);
    stream.write("", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

if ((import.meta as ImportMeta & { main?: boolean }).main) await run();
