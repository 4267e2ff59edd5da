/**
 * What bench/run.ts records of a run, and bench/report.ts renders (research/run.ts writes the
 * same shape, with its own parts).
 *
 * @module
 */
import type { LoadResult } from "../load/types.ts";

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
    /** The research harness's latency run (research/run.ts); absent from bench runs. */
    latencyRepeats?: number;
    memorySessions: number;
    expireMs: number;
  };
  results: LoadResult[];
  /** The research harness's parts (research/run.ts; research/report.ts renders them). */
  server?: unknown;
  cluster?: unknown;
  migrate?: unknown;
  latency?: unknown;
  elapsedSeconds: number;
}
