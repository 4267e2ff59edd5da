/**
 * What bench/run.ts records of a run, and bench/report.ts renders.
 *
 * @module
 */
import type { ClusterResult } from "../../research/cluster/types.ts";
import type { LoadResult } from "../load/types.ts";
import type { ServerResult } from "../../research/server/types.ts";
import type { MigrateResult } from "../../research/report/migrate.ts";

/** Everything a full run produced, plus where and with what it ran. */
export interface RunData {
  smoke: boolean;
  date: string;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    kernel: string;
    loadBefore: number[];
    loadAfter: number[];
  };
  redis: string;
  versions: Record<string, string>;
  config: {
    repeats: number;
    durationMs: number;
    concurrencies: number[];
    latencyRepeats: number;
    memorySessions: number;
    expireMs: number;
  };
  latency?: {
    proxy: string;
    delayUs: number;
    /** PING p50/p99 directly and through the proxy, measured by the latency run's client. */
    direct: { p50: number; p99: number };
    proxied: { p50: number; p99: number };
  };
  results: LoadResult[];
  /** The server modes (bench/server.ts), when they ran. */
  server?: ServerResult;
  /** The cluster mode (bench/cluster.ts), when it ran. */
  cluster?: ClusterResult;
  /** The migrate benchmark (bench/migrate.ts), when it ran. */
  migrate?: MigrateResult;
  elapsedSeconds: number;
}
