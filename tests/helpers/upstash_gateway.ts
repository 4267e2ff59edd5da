/**
 * TEST FIXTURE — not Upstash, and not part of the published module.
 *
 * A small HTTP server on loopback that speaks the part of Upstash's REST protocol that
 * `@upstash/redis` uses, in front of the tests' private redis-server, so the Upstash client can
 * be tested without the Upstash service. Every command runs on the real Redis (through an
 * ioredis 5 connection); the gateway only translates:
 *
 * - `POST /` with a JSON command array (`["SET", "k", "v"]`) → HTTP 200 `{"result": ...}`, or
 *   HTTP 400 `{"error": "<Redis's error message>"}` when Redis answers with an error.
 * - `POST /pipeline` with an array of command arrays → HTTP 200 with one `{"result": ...}` or
 *   `{"error": "..."}` per command, in order (not atomic, as on Upstash).
 * - `Upstash-Encoding: base64` request header → every string in a result is base64 of the raw
 *   bytes, recursively in arrays, except a top-level `"OK"` reply; integers and nulls are left
 *   as they are. Without the header, strings are sent as UTF-8.
 * - `Authorization: Bearer <token>` (or `?_token=<token>`) → HTTP 401 `{"error": ...}` when the
 *   token is missing or wrong. Other paths answer 404, other methods 405.
 *
 * Simplification: Redis's status replies and bulk strings are not told apart, so a bulk string
 * `"OK"` at the top level is sent as `"OK"`, not `"T0s="`; the client decodes both to `"OK"`.
 *
 * @module
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis5";

/** A running gateway. */
export interface UpstashGateway {
  /** `http://127.0.0.1:<port>`: the `url` to give `new Redis({ url, token })`. */
  readonly url: string;
  /** The bearer token the gateway accepts. */
  readonly token: string;
  /** Each request the gateway answered: its path and whether it asked for base64. */
  readonly requests: { path: string; base64: boolean; status: number }[];
  /** Stops the HTTP server and closes its Redis connection. */
  close(): Promise<void>;
}

type Result = null | number | string | Result[];

const decoder = new TextDecoder();

/** Turns an ioredis `callBuffer` reply into the JSON Upstash would send for it. */
function encodeResult(value: unknown, base64: boolean, top: boolean): Result {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (!base64) return decoder.decode(bytes);
    const text = bytes.toString("latin1");
    return top && text === "OK" ? "OK" : bytes.toString("base64");
  }
  if (typeof value === "string") return encodeResult(Buffer.from(value), base64, top);
  if (Array.isArray(value)) return value.map((v) => encodeResult(v, base64, false));
  throw new Error(`upstash_gateway: cannot encode a ${typeof value} reply`);
}

function toCommand(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error("ERR the request body must be a non-empty JSON array (a command)");
  }
  return value.map((arg) => {
    if (typeof arg === "string") return arg;
    if (typeof arg === "number" || typeof arg === "boolean") return String(arg);
    throw new Error(`ERR command arguments must be strings or numbers, got ${typeof arg}`);
  });
}

/**
 * What the gateway uses of a request. Spelled out rather than taken from node:http because Deno
 * may load two @types/node versions (lucia-auth's tarball bundles its own), whose classes are
 * not assignable to each other; every version's request has these members.
 */
interface Request {
  url?: string;
  method?: string;
  headers: { authorization?: string; [name: string]: string | string[] | undefined };
  setEncoding(encoding: "utf8"): unknown;
  on(event: "data", listener: (chunk: string) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** What the gateway uses of a response (see {@linkcode Request}). */
interface Response {
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body: string): unknown;
}

function readBody(req: Request): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => body += chunk);
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

function send(res: Response, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(json),
  });
  res.end(json);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts a gateway on a free loopback port in front of the Redis at `redisUrl`. The token is
 * random unless given.
 */
export async function startUpstashGateway(
  redisUrl: string,
  token = `test-token-${Math.random().toString(36).slice(2)}`,
): Promise<UpstashGateway> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  const requests: UpstashGateway["requests"] = [];

  const run = async (command: string[], base64: boolean): Promise<Result> =>
    encodeResult(await redis.callBuffer(command[0], ...command.slice(1)), base64, true);

  const handle = async (req: Request, res: Response): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://gateway");
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const reply = (status: number, body: unknown) => {
      requests.push({ path: url.pathname, base64, status });
      send(res, status, body);
    };
    const auth = req.headers.authorization ?? "";
    const given = auth.startsWith("Bearer ") ? auth.slice(7) : url.searchParams.get("_token");
    if (given !== token) return reply(401, { error: "Unauthorized: invalid or missing token" });
    if (req.method !== "POST") return reply(405, { error: "Method not allowed" });
    if (url.pathname !== "/" && url.pathname !== "/pipeline") {
      return reply(404, { error: `upstash_gateway: no endpoint ${url.pathname} in this fixture` });
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return reply(400, { error: "ERR the request body is not valid JSON" });
    }
    if (url.pathname === "/") {
      try {
        return reply(200, { result: await run(toCommand(body), base64) });
      } catch (error) {
        return reply(400, { error: errorMessage(error) });
      }
    }
    if (!Array.isArray(body)) {
      return reply(400, { error: "ERR a pipeline must be a JSON array of commands" });
    }
    const results: ({ result: Result } | { error: string })[] = [];
    for (const command of body) {
      try {
        results.push({ result: await run(toCommand(command), base64) });
      } catch (error) {
        results.push({ error: errorMessage(error) });
      }
    }
    return reply(200, results);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => send(res, 500, { error: errorMessage(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      await redis.quit();
    },
  };
}
