/**
 * Upstash (npm `@upstash/redis`, HTTP/REST): commands go through the client's requester.
 *
 * The client's command methods (`get`, `eval`, `exec`, ...) run every reply through
 * `JSON.parse` by default (`automaticDeserialization`), which would turn a stored session into
 * an object and ids such as `"42"` or `"null"` into other values. So the adapter sends each
 * command through the client's requester (`redis.client.request({ body })`, the same object the
 * command methods use), whose replies are decoded from base64 when the client asked for base64
 * (its default `responseEncoding`) and never JSON-parsed: sessions come back exactly as stored,
 * whatever the client's options. Redis errors reject with the client's own `UpstashError`.
 *
 * @module
 */
import { isObject } from "../core/util.ts";
import type { Connection } from "./connection.ts";
import { normalizeReply } from "./reply.ts";

/**
 * The Upstash client (`new Redis()` from npm `@upstash/redis`, any of its entry points: Node,
 * Cloudflare, Fastly), described by a public method it has. The adapter sends commands through
 * the client's requester, so the client's JSON parsing and base64 setting do not change what
 * the adapter reads.
 *
 * @example Upstash (illustration, not run: it needs an Upstash database)
 * ```ts ignore
 * import redis, { type UpstashRedisClient } from "@lucia-auth/adapter-session-redis";
 * import { Redis } from "@upstash/redis";
 *
 * const client: UpstashRedisClient = new Redis({
 *   url: process.env.UPSTASH_REDIS_REST_URL,
 *   token: process.env.UPSTASH_REDIS_REST_TOKEN,
 * });
 * const adapter = redis(client)(); // Each command is one HTTP request.
 * await adapter.getSessionsByUserId("user-id");
 * ```
 */
export interface UpstashRedisClient {
  /** Upstash's `redis.evalsha(sha, keys, args)`; marks the type, the adapter does not call it. */
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
}

/** The requester inside an Upstash client (its `client` field, typed `Requester` by Upstash). */
interface Requester {
  request(req: { body: string[] }): Promise<{ result?: unknown; error?: string }>;
}

function requesterOf(client: unknown): Requester | undefined {
  const requester = isObject(client) ? client.client : undefined;
  return isObject(requester) && typeof requester.request === "function"
    ? requester as unknown as Requester
    : undefined;
}

/** True for an `@upstash/redis` client. */
function isUpstashRedisClient(client: unknown): client is UpstashRedisClient {
  return requesterOf(client) !== undefined && isObject(client) &&
    typeof client.evalsha === "function" && typeof client.pipeline === "function";
}

/**
 * An UpstashError's message ends with the whole command (`…, command was: [...]`), and the
 * adapter's commands carry session ids and sessions, which would end up wherever the error is
 * logged: the message is cut before the command.
 */
function withoutCommand(error: unknown): unknown {
  if (error instanceof Error) {
    const at = error.message.indexOf(", command was: ");
    if (at >= 0) {
      const full = error.message;
      error.message = full.slice(0, at);
      if (typeof error.stack === "string") error.stack = error.stack.replace(full, error.message);
    }
  }
  return error;
}

/** A connection over an `@upstash/redis` client. */
function upstashConnection(client: UpstashRedisClient): Connection {
  const requester = requesterOf(client) as Requester;
  return {
    keyPrefix: "",
    cluster: false,
    noSubscriber: "Upstash sends each command as its own HTTP request: there is no connection to " +
      "receive Redis's invalidations on",
    noWait: "Upstash sends each command as its own HTTP request, which may reach a different " +
      "connection than the write did (WAIT would not count the write)",
    send: async (command) => {
      // A Redis error is an HTTP 400, which the requester itself rejects with an UpstashError
      // carrying Redis's message; an `error` field in a 200 reply is handled the same way.
      let reply: { result?: unknown; error?: string };
      try {
        reply = await requester.request({ body: command.args });
      } catch (error) {
        throw withoutCommand(error);
      }
      if (typeof reply.error === "string") throw new Error(reply.error);
      return normalizeReply(reply.result);
    },
  };
}

/** How to recognise the client, and talk to it: its row in `CLIENTS` (src/clients/table.ts). @internal */
export const upstash = { detect: isUpstashRedisClient, connect: upstashConnection };
