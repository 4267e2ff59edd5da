/**
 * Fake fronts for the command line's connection tests: TCP servers on a free loopback port that
 * are not Redis, the way a wrong address looks from the tool. They imitate what sits in front of
 * a Redis that is not there (not Redis itself: they never answer a Redis command):
 *
 * - `closing`: accepts the connection and closes it at once (a load balancer with no backend, a
 *   port a TLS-only server refuses in plain text);
 * - `http`: accepts, answers whatever arrives with an HTTP error response and closes (an HTTP
 *   port);
 * - `silent`: accepts and never says anything, nor closes (a black hole: only a timeout ends it).
 *
 * Built on `node:net`, so the same fixture runs under Deno, Bun and Node.
 *
 * @module
 */
import { createServer, type Socket } from "node:net";

/** The kinds of fake front, by what they do with a connection. */
export type FakeKind = "closing" | "http" | "silent";

/** A fake front listening on loopback. */
export interface FakeServer {
  /** What it does with a connection. */
  readonly kind: FakeKind;
  /** `redis://127.0.0.1:<port>`: where the tool is pointed. */
  readonly url: string;
  /** How many connections it has accepted so far. */
  readonly accepted: number;
  /** When it accepted each connection, in `performance.now()` milliseconds of this process. */
  readonly acceptedAt: readonly number[];
  /** Closes the listener and every connection still open. */
  close(): Promise<void>;
}

/** What an HTTP server answers to bytes that are not an HTTP request. */
export const HTTP_RESPONSE = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n" +
  "Content-Length: 11\r\nConnection: close\r\n\r\nBad Request";

function handle(kind: FakeKind, socket: Socket): void {
  socket.on("error", () => {}); // The client may reset the connection: that is its right.
  if (kind === "closing") {
    socket.destroy();
  } else if (kind === "http") {
    // An HTTP server reads the request first: answer the first bytes, then close.
    socket.once("data", () => socket.end(HTTP_RESPONSE));
  }
  // silent: read and drop whatever comes (the socket is kept open until close()).
  socket.resume();
}

/** Starts a fake front of this kind on a free loopback port. */
export async function startFakeServer(kind: FakeKind): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const acceptedAt: number[] = [];
  const server = createServer((socket) => {
    acceptedAt.push(performance.now());
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    handle(kind, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    kind,
    url: `redis://127.0.0.1:${port}`,
    get accepted() {
      return acceptedAt.length;
    },
    acceptedAt,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
