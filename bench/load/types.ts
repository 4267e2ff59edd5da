/**
 * What bench/run.ts asks bench/load.ts for, and what the load script writes back.
 *
 * @module
 */
import type { Subject, SubjectKey } from "../subjects.ts";

/** Which client the subjects use. */
export type ClientKind = "node-redis" | "bun";

/**
 * An operation as benchmarked: `k` is the number of sessions per user for the by-user ones;
 * `update` what updateSession changes: an attribute (`{ country: "DE" }`) or, as when Lucia
 * renews a session, both expiries (`{ active_expires, idle_expires }`, one day later).
 */
export interface OpSpec {
  op: Exclude<keyof Subject, "key" | "client">;
  k?: number;
  update?: UpdateKind;
}

/** What an updateSession changes (see {@linkcode OpSpec}). */
export type UpdateKind = "country" | "renewal";

/** What bench/run.ts asks for. */
export interface LoadConfig {
  modes: ("throughput" | "counts" | "memory")[];
  /** Where the measured clients connect (redis-server, or the latency proxy in front of it). */
  url: string;
  /** redis-server itself: for flushing, INFO and preparing data. */
  directUrl: string;
  /** Label of this run (e.g. "loopback", "latency"). */
  run: string;
  clients: ClientKind[];
  subjects: SubjectKey[];
  /** Subjects measured in the counts and memory modes only (not for throughput). */
  extraSubjects?: SubjectKey[];
  /** Throughput: operations and concurrencies to measure. */
  ops: OpSpec[];
  concurrencies: number[];
  repeats: number;
  /** Time bound of one measurement. */
  durationMs: number;
  /** Count bound of one measurement (and of any pool prepared for it). */
  maxOps: number;
  /** Counts: operations measured per (subject, op). */
  countOps: number;
  /** Counts: the sessions-per-user values for the by-user operations. */
  countKs: number[];
  /** Counts: the clients to count over. */
  countClients: ClientKind[];
  /** Memory: sessions created per measurement, sessions per user, expiry for the retained test. */
  memorySessions: number;
  memoryKs: number[];
  expireMs: number;
  /** The subjects whose retained memory is measured (each takes a wait past the expiry). */
  retainedSubjects: SubjectKey[];
  /** Where to write the JSON results. */
  out: string;
}

/** One throughput measurement. */
export interface Measurement {
  run: string;
  runtime: string;
  client: ClientKind;
  subject: SubjectKey;
  op: string;
  concurrency: number;
  repeat: number;
  ops: number;
  seconds: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  /** CPU time redis-server's main thread used per operation during the measurement (µs). */
  serverCpuUs: number;
}

/** Commands per operation. */
export interface CountRecord {
  client: ClientKind;
  subject: SubjectKey;
  op: string;
  /** Client-issued commands per op, from the counting wrapper. */
  commands: number;
  /** Round trips per op, from the counting wrapper. */
  roundTrips: number;
  /** The commands of one op, e.g. "EVALSHA" or "GET → DEL+SREM". */
  shape: string;
}

/** Memory per session. */
export interface MemoryRecord {
  subject: SubjectKey;
  k: number;
  sessions: number;
  /** Slope of used_memory between n/10 and n sessions. */
  bytesPerSession: number;
  /** used_memory delta from the empty database, divided by n. */
  fromEmpty: number;
  keysPerSession: number;
}

/** Memory left once every session has expired. */
export interface RetainedRecord {
  subject: SubjectKey;
  k: number;
  sessions: number;
  /** used_memory after expiry minus used_memory once flushed: what the keyspace still holds. */
  retainedBytes: number;
  /** used_memory after expiry minus before the sessions were created (buffers included). */
  sinceStart: number;
  keysLeft: number;
}

/** What the load script writes. */
export interface LoadResult {
  run: string;
  runtime: string;
  runtimeVersion: string;
  measurements: Measurement[];
  counts: CountRecord[];
  memory: MemoryRecord[];
  retained: RetainedRecord[];
}
