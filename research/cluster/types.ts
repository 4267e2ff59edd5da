/**
 * What research/run.ts asks research/cluster.ts for, and what it writes back.
 *
 * @module
 */
import type { CellSpec } from "../server/types.ts";

/** The subjects on the cluster: this adapter's two entries and 2.1.2. */
export type ClusterSubjectKey = "ours" | "oursV2" | "v2";

/** The parts of the cluster mode. */
export type ClusterPart = "counts" | "cost";

/** What research/run.ts asks for. */
export interface ClusterConfig {
  parts: ClusterPart[];
  subjects: ClusterSubjectKey[];
  /** The operations and requests per cell (the cost part; ops/s from the same cells). */
  cells: CellSpec[];
  /** Requests in flight, one cell each: 1 and 64 in a full run. */
  concurrencies: number[];
  repeats: number;
  /** Rounds per cell: each runs a slice of every subject, in an order rotated per round. */
  slices: number;
  /** Operations per (subject, operation) in the counts part. */
  countOps: number;
  out: string;
}

/** Commands and round trips per operation on the cluster. */
export interface ClusterCountRecord {
  op: string;
  subject: ClusterSubjectKey;
  /** Client-issued commands per op (counting wrapper). */
  commands: number;
  /** Round trips per op (counting wrapper, one op at a time). */
  roundTrips: number;
  /** Client commands per op that MONITOR saw, summed over the primaries (the cross-check). */
  monitorCommands: number;
  /** Commands run by Lua scripts per op, summed over the primaries. */
  scriptCommands: number;
  /** How the primaries shared the client commands (per op, each primary). */
  perPrimary: number[];
  /** The commands of one op by round trip, e.g. "EVALSHA → SET". */
  shape: string;
}

/** One cell of the cost part: one subject, one operation, one concurrency, one repeat. */
export interface ClusterCostRecord {
  op: string;
  subject: ClusterSubjectKey;
  concurrency: number;
  repeat: number;
  ops: number;
  /** Wall time of the requests (s). */
  seconds: number;
  /** µs of Redis for the subject's top-level commands, summed over the primaries. */
  usec: number;
  /** CPU time of the primaries' main threads during the cell (ns), summed; NaN if unknown. */
  cpuNs: number;
  /** Per top-level command: calls sent, µs counted. */
  commands: Record<string, { sent: number; usec: number }>;
}

/** What research/cluster.ts writes. */
export interface ClusterResult {
  runtime: string;
  runtimeVersion: string;
  redis: string;
  primaries: number;
  replicas: number;
  /** The client each subject ran over. */
  clients: Record<ClusterSubjectKey, string>;
  /** Seconds the cluster took to start. */
  startSeconds: number;
  counts: ClusterCountRecord[];
  cost: ClusterCostRecord[];
  concurrencies: number[];
  slices: number;
}
