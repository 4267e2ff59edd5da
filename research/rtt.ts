/**
 * PING round-trip time over a URL (the latency proxy's) and directly, for research/run.ts's
 * latency run.
 *
 * @module
 */
import { rawSender } from "../bench/subjects.ts";
import { nodeRedisClient } from "../bench/load/clients.ts";
import { percentile } from "../bench/load/common.ts";

/** PING round trips, p50 and p99 in ms. */
export interface RttRecord {
  direct: { p50: number; p99: number };
  measured: { p50: number; p99: number };
}

/** PING round trips directly and over `url`, alternating, so both see the same machine load. */
export async function pingRtt(directUrl: string, url: string, count: number): Promise<RttRecord> {
  const clients = [await nodeRedisClient(directUrl), await nodeRedisClient(url)];
  const [direct, measured] = clients.map(rawSender);
  const a = new Float64Array(count);
  const b = new Float64Array(count);
  for (let i = -Math.min(100, count); i < count; i++) {
    const t0 = performance.now();
    await direct(["PING"]);
    const t1 = performance.now();
    await measured(["PING"]);
    const t2 = performance.now();
    if (i >= 0) {
      a[i] = t1 - t0;
      b[i] = t2 - t1;
    }
  }
  for (const client of clients) await client.quit();
  a.sort();
  b.sort();
  return {
    direct: { p50: percentile(a, 0.5), p99: percentile(a, 0.99) },
    measured: { p50: percentile(b, 0.5), p99: percentile(b, 0.99) },
  };
}
