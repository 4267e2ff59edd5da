/**
 * Serves a web-standard request handler with the runtime's own HTTP server: `Deno.serve` on
 * Deno, `Bun.serve` on Bun. Only the few members used here are typed, so this file needs
 * neither runtime's type definitions.
 *
 * @module
 */

/** A request handler: web `Request` in, web `Response` out. */
export type Handler = (request: Request) => Promise<Response>;

/** A listening server. */
export interface HttpServer {
  /** The port it listens on (useful when 0 was asked for). */
  readonly port: number;
  /** Stops accepting connections and closes the open ones. */
  close(): Promise<void>;
}

interface DenoRuntime {
  version: { deno: string };
  serve(
    options: {
      port: number;
      hostname: string;
      onListen?: (address: { port: number }) => void;
    },
    handler: Handler,
  ): { addr: { port: number }; shutdown(): Promise<void> };
}

interface BunRuntime {
  version: string;
  serve(options: { port: number; hostname: string; fetch: Handler }): {
    port: number;
    stop(closeActiveConnections?: boolean): Promise<void> | void;
  };
}

const runtimes = globalThis as unknown as { Deno?: DenoRuntime; Bun?: BunRuntime };

/** Names the runtime, e.g. "Deno 2.9.6" or "Bun 1.4.5". */
export function runtimeName(): string {
  if (runtimes.Deno) return `Deno ${runtimes.Deno.version.deno}`;
  if (runtimes.Bun) return `Bun ${runtimes.Bun.version}`;
  return "an unsupported runtime";
}

/** Starts serving `handler` on `hostname:port` (port 0: any free port). */
export function serve(handler: Handler, port: number, hostname: string): Promise<HttpServer> {
  const { Deno, Bun } = runtimes;
  if (Deno) {
    const server = Deno.serve({ port, hostname, onListen: () => {} }, handler);
    return Promise.resolve({ port: server.addr.port, close: () => server.shutdown() });
  }
  if (Bun) {
    const server = Bun.serve({ port, hostname, fetch: handler });
    return Promise.resolve({
      port: server.port,
      close: async () => {
        await server.stop(true);
      },
    });
  }
  return Promise.reject(new Error("The demo runs on Deno or Bun (it uses their HTTP servers)."));
}
