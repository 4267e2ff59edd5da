/**
 * Starts and stops a private `redis-server` for tests, the demo and the benchmarks.
 *
 * Not part of the published module: it uses Node's APIs (which Deno and Bun also provide) to
 * spawn a process and find a free loopback port.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A redis-server this process started, or one it was pointed at with `REDIS_URL`. */
export interface RedisServer {
  /** `redis://host:port` to connect to. */
  readonly url: string;
  /** Loopback host. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** True when this process started the server (so it may be flushed and must be stopped). */
  readonly owned: boolean;
  /** The server's version, as `INFO server` reports it. */
  readonly version: string;
  /** The server's process id when this process started it (for CPU figures on Linux). */
  readonly pid?: number;
  /**
   * When this process started the server: settles once the server process has exited, with how
   * (e.g. "signal SIGTERM", "exit code 1"), whoever stopped it.
   */
  readonly exited?: Promise<string>;
  /** Stops the server if this process started it; does nothing for `REDIS_URL`. */
  stop(): Promise<void>;
}

const HOW_TO_GET_ONE = "Install redis-server (Debian/Ubuntu: `apt-get install redis-server`; " +
  "macOS: `brew install redis`) so it is on PATH, or set REDIS_URL to a Redis >= 6.2 that " +
  "may be written to.";

/**
 * The arguments every private redis-server of the project starts with: this port on this host
 * only, and no persistence (arguments after them override: `--appendonly yes` turns it on).
 */
export function privateServerArgs(host: string, port: number): string[] {
  return ["--port", String(port), "--bind", host, "--save", "", "--appendonly", "no"];
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command over a fresh socket and returns the raw reply text. */
export function rawCommand(host: string, port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis-server on ${host}:${port} did not answer "${command}"`));
    }, 2000);
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      // A bulk reply is complete once its announced length has arrived.
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if (!bulk || reply.length >= bulk[0].length + Number(bulk[1]) + 2) {
        clearTimeout(timer);
        socket.destroy();
        resolve(reply);
      }
    });
    socket.connect(port, host, () => socket.write(command + "\r\n"));
  });
}

function versionFrom(info: string): string {
  return /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? "unknown";
}

/** Waits until a redis-server answers on host:port (or `deadline` passes); returns its version. */
export async function waitUntilUp(
  host: string,
  port: number,
  deadline: number,
): Promise<string> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const info = await rawCommand(host, port, "INFO server");
      if (info.startsWith("$")) return versionFrom(info);
      lastError = new Error(info.trim());
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on ${host}:${port} did not come up: ${String(lastError)}`);
}

/**
 * Returns the Redis to use: `REDIS_URL` when set (never flushed, never stopped), otherwise a
 * private redis-server from PATH on a free loopback port with persistence off.
 */
export async function startRedisServer(
  options: { env?: string | undefined; extraArgs?: string[] } = {},
): Promise<RedisServer> {
  const fromEnv = options.env ?? process.env.REDIS_URL;
  if (fromEnv) {
    const url = new URL(fromEnv);
    const host = url.hostname || "127.0.0.1";
    const port = Number(url.port || 6379);
    const version = await waitUntilUp(host, port, Date.now() + 2000).catch(() => "unknown");
    return { url: fromEnv, host, port, owned: false, version, stop: () => Promise.resolve() };
  }
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(`No Redis to test against: redis-server is not on PATH. ${HOW_TO_GET_ONE}`);
  }
  const host = "127.0.0.1";
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    // Its own working directory: a replica writes the data it syncs to disk there.
    const dir = mkdtempSync(join(tmpdir(), "redis-server-"));
    const child = spawn("redis-server", [
      "--dir",
      dir,
      ...privateServerArgs(host, port),
      "--protected-mode",
      "yes",
      ...(options.extraArgs ?? []),
    ], { stdio: "ignore" });
    let exited = false;
    const exit = new Promise<string>((resolve) => {
      child.on("exit", (code, signal) => {
        exited = true;
        rmSync(dir, { recursive: true, force: true });
        resolve(signal ? `signal ${signal}` : `exit code ${code}`);
      });
    });
    try {
      const version = await waitUntilUp(host, port, Date.now() + 5000);
      child.unref();
      return {
        url: `redis://${host}:${port}`,
        host,
        port,
        owned: true,
        version,
        pid: child.pid,
        exited: exit,
        stop: () =>
          new Promise<void>((resolve) => {
            if (exited) return resolve();
            child.ref();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      };
    } catch (error) {
      lastError = error;
      if (!exited) child.kill("SIGKILL");
    }
  }
  throw new Error(`Could not start redis-server: ${String(lastError)}. ${HOW_TO_GET_ONE}`);
}
