/**
 * The demo's connection to Redis: one node-redis client that reconnects by itself, and what the
 * demo knows about it. Each change of state writes one log line (down, then up again), naming the
 * demo's own private redis-server when that is the one that stopped. Connection errors are
 * expected while Redis is down: they change the state once and are never logged one by one.
 *
 * @module
 */
import { createClient } from "redis4";
import type { RedisServer } from "../../scripts/redis/server.ts";

/** The longest wait between two reconnection attempts, in milliseconds. */
export const RECONNECT_INTERVAL_MS = 1000;
/** How long one connection attempt may take, in milliseconds. */
export const CONNECT_TIMEOUT_MS = 3000;

/** What the demo knows about its Redis right now. */
export interface RedisStatus {
  /** Whether the connection is up. */
  readonly up: boolean;
  /** While down: what happened and what the person running the demo can do (one sentence). */
  readonly advice: string;
}

/** What {@link connectRedis} needs. */
export interface RedisWatchOptions {
  /** The Redis to connect to: the demo's private redis-server, or the one from `REDIS_URL`. */
  server: RedisServer;
  /** Where the state lines go. */
  log: (line: string) => void;
  /** The command that starts the demo again, for the advice after its own server exited. */
  restartCommand: string;
}

/** A connected client and its state. */
export interface RedisConnection {
  /** The node-redis client (commands fail at once while Redis is down). */
  readonly client: ReturnType<typeof createClient>;
  /** The state now. */
  status(): RedisStatus;
  /** Disconnects; nothing is logged from then on. */
  close(): Promise<void>;
}

/** Connects to `server` and resolves once connected (rejects if it never answers). */
export async function connectRedis(options: RedisWatchOptions): Promise<RedisConnection> {
  const { server, log, restartCommand } = options;
  const where = `${server.host}:${server.port}`;
  const every = `${RECONNECT_INTERVAL_MS / 1000} s`;
  let connected = false;
  let closing = false;
  let up = false;
  /** How the demo's own redis-server exited, once it has. */
  let exitedHow: string | null = null;
  /** Whether another redis-server answered on its port after it exited. */
  let replaced = false;
  /** The down line not written yet, while waiting to learn whether the server exited. */
  let pendingDown: { reason: string; timer: ReturnType<typeof setTimeout> } | null = null;

  const client = createClient({
    url: server.url,
    // Without the offline queue, commands fail at once while Redis is away instead of waiting.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Give up on a Redis that never answered; once connected, keep reconnecting.
      reconnectStrategy: (retries: number) =>
        !connected && retries >= 3
          ? new Error(
            `Cannot connect to Redis at ${where}${server.owned ? "" : " (from REDIS_URL)"}.`,
          )
          : Math.min(100 * 2 ** retries, RECONNECT_INTERVAL_MS),
    },
  });

  const restart = `restart the demo (press Ctrl+C where it runs, then ${restartCommand})`;
  /** Whether the demo's own redis-server exiting is why Redis is down now. */
  const ownServerGone = () => server.owned && exitedHow !== null && !replaced;
  const advice = (): string => {
    if (ownServerGone()) {
      return `The demo's own redis-server (the private one it started on ${where}) has exited ` +
        `(${exitedHow}), and the sessions it held are gone. To start a new one, ${restart}.`;
    }
    if (server.owned && exitedHow) {
      return `The redis-server that answered on ${where} after the demo's own one exited cannot ` +
        `be reached: start it again, or ${restart}; the demo reconnects every ${every} by itself.`;
    }
    if (server.owned) {
      return `The demo lost its connection to its own redis-server on ${where}, which is still ` +
        `running; it reconnects every ${every} by itself.`;
    }
    return `The Redis at ${where} (from REDIS_URL) cannot be reached: start it, or point ` +
      `REDIS_URL at one that runs; the demo reconnects every ${every} by itself.`;
  };

  const writeDown = (reason: string): void => {
    // When its own server exited, the exit is the reason; else the client's error says what it saw.
    log(`demo: Redis down${ownServerGone() ? "" : ` (${reason})`}: ${advice()}`);
  };
  const flushDown = (): void => {
    if (!pendingDown) return;
    clearTimeout(pendingDown.timer);
    const { reason } = pendingDown;
    pendingDown = null;
    writeDown(reason);
  };

  const goDown = (reason: string): void => {
    if (!connected || closing || !up) return;
    up = false;
    if (server.exited && !exitedHow) {
      // A stopping redis-server closes its connections a moment before its process is gone:
      // wait up to one reconnect interval for the exit, so the line can say which happened.
      pendingDown = { reason, timer: setTimeout(flushDown, RECONNECT_INTERVAL_MS) };
    } else {
      writeDown(reason);
    }
  };

  client.on("error", (error: Error) => goDown(error.message));
  client.on("ready", () => {
    if (closing || up) return;
    up = true;
    if (!connected) return; // the first connection: the banner says where Redis is
    flushDown();
    replaced = exitedHow !== null;
    log(
      `demo: Redis up: ${where} answers again; sessions work again.` +
        (exitedHow
          ? " It is not the redis-server the demo started (that one exited), so the demo will " +
            "not stop it."
          : ""),
    );
  });

  await client.connect();
  connected = true;
  void server.exited?.then((how) => {
    exitedHow = how;
    if (closing) return;
    if (up) return goDown(how);
    if (pendingDown) return flushDown();
    // Already reported as a lost connection: the server has now exited too.
    log(`demo: Redis still down: ${advice()}`);
  });

  return {
    client,
    status: () => ({ up, advice: up ? "" : advice() }),
    close: async () => {
      closing = true;
      if (pendingDown) clearTimeout(pendingDown.timer);
      pendingDown = null;
      if (client.isOpen) await client.disconnect();
    },
  };
}
