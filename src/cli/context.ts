/**
 * What every command that talks to Redis starts from: the options common to all commands,
 * checked, the key names, and the connection (opened once, closed at the end).
 *
 * @module
 */
import { toConnection } from "../clients/table.ts";
import type { Connection, Reply } from "../clients/connection.ts";
import { type Keys, keysFor } from "../core/keys.ts";
import { infoField, normalizeReply } from "../clients/reply.ts";
import {
  CliError,
  type CliIo,
  DEFAULT_CONNECT_TIMEOUT,
  messageOf,
  type OpenRedis,
  redactUrl,
  UsageError,
} from "./io.ts";

/** The options every command takes, as given. */
export interface CommonOptions {
  readonly url?: string;
  readonly cluster: boolean;
  /** Milliseconds (`--connect-timeout`); the default when not given. */
  readonly connectTimeout?: number;
  readonly sessionNamespace?: string;
  readonly userSessionNamespace?: string;
  readonly json: boolean;
}

/** A primary, with replies normalised. */
export interface Node {
  /** `host:port`. */
  readonly address: string;
  /** Sends a raw command to this node. */
  send(command: string[]): Promise<Reply>;
}

/** An open session with Redis for one command. */
export interface Context {
  readonly io: CliIo;
  readonly json: boolean;
  readonly keys: Keys;
  /** The namespaces without their `:`. */
  readonly namespaces: { readonly session: string; readonly userSession: string };
  /** The URL, its password hidden. */
  readonly url: string;
  readonly cluster: boolean;
  readonly redis: OpenRedis;
  /** Sends a command routed by its key (on a cluster, to the primary serving it). */
  readonly connection: Connection;
  /** The primaries (the one server when not a cluster). */
  readonly nodes: readonly Node[];
  /** The version of the first primary, as numbers: `[7, 0, 15]`. */
  readonly version: readonly number[];
}

/** The namespaces' key names, or a UsageError naming the option at fault. */
export function keysOf(options: CommonOptions): Keys {
  try {
    return keysFor(
      { value: options.sessionNamespace, name: "--session-namespace", fallback: "session" },
      {
        value: options.userSessionNamespace,
        name: "--user-session-namespace",
        fallback: "userSession",
      },
    );
  } catch (error) {
    throw new UsageError(
      messageOf(error).replace(/^Cannot create the Redis session adapter: /, ""),
    );
  }
}

/** The URLs to connect to, checked: `--url`, else `REDIS_URL`, else the local default. */
export function urlsOf(options: CommonOptions, env: CliIo["env"]): string[] {
  const given = options.url ?? env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const source = options.url !== undefined ? "--url" : env.REDIS_URL ? "REDIS_URL" : "--url";
  const urls = options.cluster ? given.split(",").map((u) => u.trim()) : [given];
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      // Reported below.
    }
    if (parsed === undefined || !/^rediss?:$/.test(parsed.protocol) || parsed.hostname === "") {
      throw new UsageError(
        `${source}: "${redactUrl(url)}" is not a Redis URL (expected redis://host:port or ` +
          `rediss://host:port${options.cluster ? ", or several separated by commas" : ""})`,
      );
    }
  }
  if (!options.cluster && given.includes(",")) {
    throw new UsageError(`${source}: one URL expected (several root nodes only with --cluster)`);
  }
  return urls;
}

/** The server's version from an `INFO` reply (`[7, 0, 15]`), or undefined when it gives none. */
export function versionIn(info: Reply): number[] | undefined {
  const found = typeof info === "string" ? infoField(info, "redis_version") : undefined;
  return found?.split(".").map(Number);
}

/** True when `version` is at least `major.minor`. */
export function atLeast(version: readonly number[], major: number, minor: number): boolean {
  const [a = 0, b = 0] = version;
  return a > major || (a === major && b >= minor);
}

/**
 * Opens Redis for a command, runs `work`, and closes it whatever happens. A connection failure
 * becomes a {@linkcode CliError} naming the URL.
 */
export async function withContext<T>(
  io: CliIo,
  options: CommonOptions,
  work: (context: Context) => Promise<T>,
): Promise<T> {
  const keys = keysOf(options);
  const urls = urlsOf(options, io.env);
  const url = urls.map(redactUrl).join(",");
  let redis: OpenRedis;
  try {
    redis = await io.openRedis({
      urls,
      cluster: options.cluster,
      connectTimeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT,
    });
  } catch (error) {
    throw new CliError(`cannot connect to ${url}: ${messageOf(error)}`);
  }
  try {
    const nodes = (await redis.primaries()).map((node): Node => ({
      address: node.address,
      send: async (command) => normalizeReply(await node.send(command)),
    }));
    if (nodes.length === 0) throw new CliError(`no primary found at ${url}`);
    // The default sections: `server` for the version, `cluster` to refuse a cluster node
    // reached without --cluster (a scan would then see one node's keys only).
    const info = await nodes[0].send(["INFO"]).catch(() => null);
    if (
      !options.cluster && typeof info === "string" && infoField(info, "cluster_enabled") === "1"
    ) {
      throw new CliError(`${url} is a node of a Redis Cluster: add --cluster`);
    }
    const context: Context = {
      io,
      json: options.json,
      keys,
      namespaces: {
        session: keys.sessionPrefix.slice(0, -1),
        userSession: keys.userSessionPrefix.slice(0, -1),
      },
      url,
      cluster: options.cluster,
      redis,
      connection: toConnection(redis.client),
      nodes,
      version: versionIn(info) ?? [0],
    };
    return await work(context);
  } finally {
    await redis.close().catch(() => {});
  }
}

/** The pattern matching every key under a prefix, its glob characters escaped. */
export function patternOf(prefix: string): string {
  return prefix.replace(/[\\*?[\]]/g, (c) => `\\${c}`) + "*";
}
