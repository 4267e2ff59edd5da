/**
 * What research/run.ts asks research/server.ts for, and what it writes back.
 *
 * @module
 */
import type { OpSpec, UpdateKind } from "../../bench/load/types.ts";
import type { SubjectKey } from "../../bench/subjects.ts";

/** An operation measured in the server modes, or the Lucia-like mix (research/server/mix.ts). */
export interface CellSpec {
  op: OpSpec["op"] | "mix";
  /** Sessions per user for the by-user operations (10 when not given). */
  k?: number;
  /** What updateSession changes (bench/load/types.ts's `UpdateKind`). */
  update?: UpdateKind;
  /** Requests per cell. */
  size: number;
}

/** The server modes. */
export type ServerMode = "cost" | "instructions" | "variants" | "saturation" | "worst";

/** What research/run.ts asks for. */
export interface ServerConfig {
  modes: ServerMode[];
  /** The benchmark's own redis-server (never REDIS_URL) and its pid (for schedstat). */
  url: string;
  pid?: number;
  /**
   * cost: cells, repeats, slices per cell, and the regimes: connections, and requests in flight
   * over them (the first regime also gives the commandstats figures).
   */
  cost: {
    cells: CellSpec[];
    repeats: number;
    slices: number;
    regimes: { connections: number; concurrency: number }[];
    subjects: SubjectKey[];
  };
  /** instructions and variants: cells (run one request at a time), repeats, subjects. */
  instructions: {
    cells: CellSpec[];
    repeats: number;
    variantSize: Record<string, number>;
    subjects: SubjectKey[];
  };
  /** saturation: client processes, requests in flight and connections per process, … */
  saturation: {
    processes: number;
    concurrency: number;
    connections: number;
    seconds: number;
    repeats: number;
    users: number;
  };
  /** worst: sessions per user, calls per cell (the median is reported). */
  worst: { ns: number[]; repeats: number; cap: number };
  out: string;
}

/** One cell of the cost mode. */
export interface CostRecord {
  op: string;
  subject: SubjectKey;
  /** The regime: connections, and requests in flight over them. */
  connections: number;
  concurrency: number;
  repeat: number;
  ops: number;
  /** µs of Redis for the subject's top-level commands (INFO commandstats), all requests. */
  usec: number;
  /** CPU time of redis-server's main thread during the cell (ns); NaN where not on Linux. */
  cpuNs: number;
  /** Per top-level command: calls sent, calls counted, µs counted (its top-level share). */
  commands: Record<string, { sent: number; calls: number; usec: number }>;
}

/** One cell of the instruction counts (callgrind). */
export interface InstructionRecord {
  /** Operation label, or a variant's chain ("setSession", …). */
  op: string;
  /** Subject key, or the variant's label. */
  subject: string;
  repeat: number;
  ops: number;
  /** Instructions of the server process during the cell (`summary:` of the dump). */
  total: number;
  /** Of which in serverCron (the timer, driven by wall time, not by requests). */
  cron: number;
}

/** One run of the saturation mode. */
export interface SaturationRecord {
  subject: SubjectKey;
  repeat: number;
  processes: number;
  concurrency: number;
  connections: number;
  requests: number;
  seconds: number;
  requestsPerSec: number;
  /** Main-thread CPU ÷ wall time during the run (1 = one core always busy). */
  serverBusy: number;
  /** Sum over the client processes of their CPU ÷ wall time. */
  clientsBusy: number;
}

/** One call of the worst-case mode. */
export interface WorstRecord {
  op: string;
  subject: SubjectKey;
  n: number;
  repeat: number;
  /** µs of Redis for the call's top-level commands (INFO commandstats). */
  usec: number;
  /** The longest single command of the call (µs; for several calls of one name, their mean). */
  longest: number;
  commands: number;
}

/** A variant of the instruction-count chains (research/server/variants.ts). */
export interface VariantInfo {
  chain: string;
  label: string;
  change: string;
  /** Shown for comparison, outside the chain (no change against the row before). */
  reference: boolean;
}

/** What research/server.ts writes. */
export interface ServerResult {
  runtime: string;
  runtimeVersion: string;
  cost: CostRecord[];
  /** The cost mode's regimes, in order, and its rounds of slices. */
  costRegimes: { connections: number; concurrency: number }[];
  costSlices: number;
  instructions: InstructionRecord[];
  /** Why instruction counts were not taken, when they were not. */
  instructionsSkipped?: string;
  /** Instructions per second of the idle callgrind server (serverCron), for the noise note. */
  idleInstructionsPerSec?: number;
  variants: VariantInfo[];
  saturation: SaturationRecord[];
  worst: WorstRecord[];
  worstCap: number;
  /** Cores seen by the run. */
  cores: number;
}
