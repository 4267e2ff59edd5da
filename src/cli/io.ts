/**
 * What the command line tool gets from its host, and the errors it ends with. The tool's logic
 * (everything in `src/cli/`) is runtime-neutral: the host (`cli.ts`) hands it the arguments, the
 * environment, writers for stdout and stderr, and a way to open Redis.
 *
 * @module
 */

/**
 * How long connecting may take, in milliseconds, unless `--connect-timeout` says otherwise: the
 * TCP connection, TLS, authentication and a first reply, all told. Past it the tool exits 1. Two
 * seconds: far above a reachable server's handshake, short enough that a wrong address fails fast.
 */
export const DEFAULT_CONNECT_TIMEOUT = 2000;

/**
 * Where to connect: one URL for a single server, one or more root nodes for a cluster.
 *
 * @example Nothing listens on port 1: opening it rejects at once, with no endless retrying
 * ```ts
 * import assert from "node:assert/strict";
 * import { openRedis, type RedisTarget } from "@lucia-auth/adapter-session-redis/cli";
 *
 * const target: RedisTarget = { urls: ["redis://127.0.0.1:1"], cluster: false };
 * await assert.rejects(openRedis(target));
 * ```
 */
export interface RedisTarget {
  /** `redis://` or `rediss://` URLs (more than one only with `cluster`). */
  readonly urls: readonly string[];
  /** True to open a Redis Cluster client. */
  readonly cluster: boolean;
  /**
   * How long connecting may take in all, in milliseconds, until a Redis has answered (default
   * 2,000: `--connect-timeout`).
   */
  readonly connectTimeout?: number;
}

/**
 * One primary of the deployment: the server itself when it is not a cluster.
 *
 * @example A node over a node-redis client
 * ```ts
 * import assert from "node:assert/strict";
 * import { createClient } from "redis5";
 * import type { RedisNode } from "@lucia-auth/adapter-session-redis/cli";
 *
 * const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
 * const client = createClient({ url });
 * await client.connect();
 * const node: RedisNode = {
 *   address: new URL(url).host, // host:port
 *   send: (command) => client.sendCommand(command),
 * };
 * assert.equal(await node.send(["PING"]), "PONG");
 * await client.quit();
 * ```
 */
export interface RedisNode {
  /** `host:port`, for messages. */
  readonly address: string;
  /** Sends one raw command (strings) to this node and returns the client's reply. */
  send(command: string[]): Promise<unknown>;
}

/**
 * An open connection to Redis, made by the host.
 *
 * @example The tool opens Redis only for a well-formed command, and says so when it cannot
 * ```ts
 * import assert from "node:assert/strict";
 * import { main, type OpenRedis, type RedisTarget } from "@lucia-auth/adapter-session-redis/cli";
 *
 * const opened: RedisTarget[] = [];
 * let stderr = "";
 * const run = (args: string[]) =>
 *   main({
 *     args,
 *     env: {},
 *     stdout: () => {},
 *     stderr: (text) => void (stderr += text),
 *     stderrIsTTY: false,
 *     openRedis: (target): Promise<OpenRedis> => {
 *       opened.push(target);
 *       return Promise.reject(new Error("connection refused"));
 *     },
 *   });
 * assert.equal(await run(["stats", "--url", "http://127.0.0.1"]), 2); // bad usage
 * assert.equal(opened.length, 0);
 * assert.equal(await run(["stats", "--url", "redis://127.0.0.1:1"]), 1); // an error
 * assert.deepEqual(opened, [
 *   { urls: ["redis://127.0.0.1:1"], cluster: false, connectTimeout: 2000 },
 * ]);
 * assert.match(stderr, /cannot connect to redis:\/\/127\.0\.0\.1:1: connection refused/);
 * ```
 */
export interface OpenRedis {
  /**
   * The client, one the adapter's `redis()` takes (a node-redis client or cluster): the commands
   * that work through the adapter's own operations open its store on it.
   */
  readonly client: object;
  /** The primaries to scan: every primary of a cluster, or the one server. */
  primaries(): Promise<RedisNode[]>;
  /** Closes every connection. */
  close(): Promise<void>;
}

/**
 * The host's side of the tool: what `main()` gets from the program that runs it.
 *
 * @example Running the tool inside another program, its output captured
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CliIo, main } from "@lucia-auth/adapter-session-redis/cli";
 *
 * let stdout = "";
 * const io: CliIo = {
 *   args: ["--help"],
 *   env: {},
 *   stdout: (text) => void (stdout += text),
 *   stderr: () => {},
 *   stderrIsTTY: false,
 *   openRedis: () => Promise.reject(new Error("--help opens nothing")),
 * };
 * assert.equal(await main(io), 0);
 * assert.match(stdout, /^Usage: adapter-session-redis <command> \[options\]$/m);
 * ```
 */
export interface CliIo {
  /** The arguments after the program's name. */
  readonly args: readonly string[];
  /** Environment variables (`REDIS_URL`, `NO_COLOR`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** True when standard error is a terminal: progress is then drawn as a bar. */
  readonly stderrIsTTY: boolean;
  /** Connects to Redis; rejects, within the target's `connectTimeout`, if no Redis answers. */
  openRedis(target: RedisTarget): Promise<OpenRedis>;
}

/** Bad usage: an unknown command or option, a missing or malformed argument. Exit code 2. */
export class UsageError extends Error {
  /** The command whose help to point at, if any. */
  readonly command: string | undefined;
  /** @param message What is wrong, in one line. @param command The command it concerns. */
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** An expected failure (unreachable server, nothing found, a Redis error): exit code 1. */
export class CliError extends Error {
  /** @param message What went wrong, in one line. */
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

/** A URL with its password (and a username alone) hidden, for messages and output. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

/** The one-line message of any thrown value: its first line, without a stack. */
export function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split("\n").find((line) => line.trim() !== "") ?? text;
  return first.trim() || (error instanceof Error ? error.name : "unknown error");
}
