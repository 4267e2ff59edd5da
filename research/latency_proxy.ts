/**
 * The fallback TCP delay proxy for the benchmark's latency mode, used when no C compiler is
 * present to build research/latency_proxy.c (the precise one). Same behaviour and arguments: listens
 * on 127.0.0.1:<listenPort> (0 picks a free port), forwards every connection to
 * 127.0.0.1:<targetPort>, and holds each chunk sent towards Redis for <delayUs> microseconds
 * before writing it on (replies come back undelayed). Order within a connection is kept.
 * JavaScript timers have about 1 ms resolution, so the delay it adds is coarser: research/run.ts
 * measures and reports the added round-trip time either way.
 *
 *   bun research/latency_proxy.ts <listenPort> <targetPort> <delayUs>
 *
 * It prints `READY <port>` once listening, and exits when its stdin closes (so it dies with
 * the benchmark that started it). Only ever point it at a loopback redis-server.
 *
 * @module
 */
import { createServer, Socket } from "node:net";
import process from "node:process";

/** How much data may wait in one direction before the source socket is paused. */
const HIGH_WATER = 8 * 1024 * 1024;

function delayed(from: Socket, to: Socket, delayMs: number): void {
  const queue: { due: number; chunk: Uint8Array }[] = [];
  let queued = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now + 0.05) {
      const { chunk } = queue.shift()!;
      queued -= chunk.length;
      to.write(chunk);
    }
    if (queued < HIGH_WATER && from.isPaused()) from.resume();
    if (queue.length > 0) {
      timer = setTimeout(flush, Math.max(0, queue[0].due - performance.now()));
    }
  };
  from.on("data", (chunk: Uint8Array) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    queued += chunk.length;
    if (queued >= HIGH_WATER) from.pause();
    if (timer === undefined) timer = setTimeout(flush, delayMs);
  });
}

function main(): void {
  const [listenPort, targetPort, delayUs] = process.argv.slice(2);
  const delay = Number(delayUs) / 1000;
  const targetHost = "127.0.0.1";
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = new Socket();
    upstream.setNoDelay(true);
    upstream.connect(Number(targetPort), targetHost);
    delayed(client, upstream, delay);
    upstream.on("data", (chunk: Uint8Array) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  });
  server.listen(Number(listenPort), "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    process.stdout.write(`READY ${port}\n`);
  });
  process.stdin.on("close", () => process.exit(0));
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

main();
