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
import { createClient, createCluster } from "redis5";
import type { CliIo, OpenRedis, RedisTarget } from "./src/cli/io.ts";
import { main as runTool } from "./src/cli/main.ts";

export type { CliIo, OpenRedis, RedisNode, RedisTarget } from "./src/cli/io.ts";

/**
 * Runs the tool with a host of your own (arguments, environment, writers, a way to open Redis);
 * resolves with the exit code: 0 success, 1 a failed check or an error, 2 bad usage.
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

/** How long a connection may take before the tool gives up, in milliseconds. */
const CONNECT_TIMEOUT = 1500;

function withTimeout<T>(pending: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out`)), CONNECT_TIMEOUT + 1000);
  });
  return Promise.race([pending, expired]).finally(() => clearTimeout(timer));
}

/** Runs `close`, ignoring that the client is closed already (node-redis throws then). */
function quietly(close: () => void): void {
  try {
    close();
  } catch {
    // Closed already.
  }
}

/** No reconnection and no offline queue: an unreachable server fails at once. */
const SOCKET = { connectTimeout: CONNECT_TIMEOUT, reconnectStrategy: false } as const;

/**
 * Connects `client` (a node-redis client or cluster); on failure closes it and rejects with the
 * first error it reported (the connection's own, rather than a later "client is closed").
 */
async function connected<C extends ConnectingClient>(client: C, what: string): Promise<C> {
  let firstError: unknown;
  client.on("error", (error: unknown) => firstError ??= error);
  try {
    await withTimeout(client.connect(), what);
    return client;
  } catch (error) {
    quietly(() => client.destroy());
    throw firstError ?? error;
  }
}

/** What {@linkcode connected} needs of a node-redis client or cluster. */
interface ConnectingClient {
  on(event: "error", listener: (error: unknown) => void): unknown;
  connect(): Promise<unknown>;
  destroy(): void;
}

async function openClient(url: string): Promise<OpenRedis> {
  const client = await connected(
    createClient({ url, socket: SOCKET, disableOfflineQueue: true }),
    "connecting",
  );
  const { hostname, port } = new URL(url);
  return {
    client,
    primaries: () =>
      Promise.resolve([{
        address: `${hostname}:${port || 6379}`,
        send: (command) => client.sendCommand(command),
      }]),
    close: () => Promise.resolve(quietly(() => client.destroy())),
  };
}

async function openCluster(urls: readonly string[]): Promise<OpenRedis> {
  // The nodes the cluster reports are reached with the first URL's credentials and TLS.
  const first = new URL(urls[0]);
  const cluster = await connected(
    createCluster({
      rootNodes: urls.map((url) => ({ url })),
      defaults: {
        username: first.username === "" ? undefined : decodeURIComponent(first.username),
        password: first.password === "" ? undefined : decodeURIComponent(first.password),
        socket: { ...SOCKET, ...(first.protocol === "rediss:" ? { tls: true } : {}) },
        disableOfflineQueue: true,
      },
    }),
    "connecting to the cluster",
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
 * Rejects within about two seconds when Redis cannot be reached.
 *
 * @example Nothing listens on port 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { openRedis } from "@lucia-auth/adapter-session-redis/cli";
 *
 * const started = Date.now();
 * await assert.rejects(openRedis({ urls: ["redis://127.0.0.1:1"], cluster: false }));
 * assert.ok(Date.now() - started < 3000);
 * ```
 */
export function openRedis(target: RedisTarget): Promise<OpenRedis> {
  return target.cluster ? openCluster(target.urls) : openClient(target.urls[0]);
}

/**
 * The tool's host: this process's arguments, environment and output, and {@linkcode openRedis}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import process from "node:process";
 * import { openRedis, processIo } from "@lucia-auth/adapter-session-redis/cli";
 *
 * const io = processIo();
 * assert.deepEqual(io.args, process.argv.slice(2));
 * assert.equal(io.openRedis, openRedis);
 * ```
 */
export function processIo(): CliIo {
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
  // Every connection is closed by now; should anything linger, do not wait for it.
  setTimeout(() => process.exit(code), 2000).unref();
}

if ((import.meta as ImportMeta & { main?: boolean }).main) await run();
