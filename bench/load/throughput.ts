/**
 * The `throughput` mode: each operation of each subject at each concurrency, repeated; ops/s,
 * p50 and p99 latency and redis-server's CPU time per operation.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { SubjectKey } from "../subjects.ts";
import type { Admin, Family } from "./clients.ts";
import { log, opLabel, percentile, runPool, runtimeInfo } from "./common.ts";
import { prepare, type Prepared, prepFor, supports } from "./prepare.ts";
import type { LoadConfig, Measurement, OpSpec } from "./types.ts";

/**
 * CPU time a process's main thread has used (ns), network I/O and parsing included, from
 * /proc/<pid>/schedstat; NaN where there is none. redis-server runs on this machine.
 */
function serverCpuNs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]);
  } catch {
    return NaN;
  }
}

/** One subject's share of a measurement. */
interface Slot {
  family: Family;
  key: SubjectKey;
  prepared: Prepared;
  next: number;
  seconds: number;
  cpuNs: number;
  latencies: Float64Array;
}

/** Slice length at concurrency 1 (see {@linkcode runSlots}). */
const SLICE_MS = 25;

/**
 * Runs the subjects of one measurement until each has run `timeMs` (or used its pool), taking
 * turns in slices in a rotating order (bench/README.md says why): {@linkcode SLICE_MS} at
 * concurrency 1, a third of `timeMs` above.
 */
async function runSlots(slots: Slot[], c: number, timeMs: number, pid: number): Promise<void> {
  const slice = c === 1 ? SLICE_MS : Math.max(SLICE_MS, timeMs / 3);
  const open = (s: Slot) => s.seconds * 1000 < timeMs && s.next < s.prepared.count;
  for (let round = 0; round < 100_000 && slots.some(open); round++) {
    for (let j = 0; j < slots.length; j++) {
      const s = slots[(j + round) % slots.length];
      if (!open(s)) continue;
      const budget = Math.min(slice, timeMs - s.seconds * 1000);
      const cpu = serverCpuNs(pid);
      const r = await runPool(c, s.prepared.count, budget, s.prepared.run, s.latencies, s.next);
      s.cpuNs += serverCpuNs(pid) - cpu;
      s.next = r.done;
      s.seconds += r.seconds;
    }
  }
}

/** Measures every operation of `config.ops` for every subject of every family. */
export async function throughput(config: LoadConfig, families: Family[], admin: Admin) {
  const { runtime } = runtimeInfo();
  const out: Measurement[] = [];
  const serverPid = await admin.info("server", "process_id");
  // Expected ops/s per (family, subject, op, concurrency), from the warm-up: sizes the pools of
  // the destructive operations so that they last the measurement's time bound.
  const rate = new Map<string, number>();
  // Pools of the read operations, prepared once per (client, subject, operation) and reused.
  const pools = new Map<string, Prepared>();
  const latencies = new Map<string, Float64Array>();

  const prepareSlot = async (
    family: Family,
    key: SubjectKey,
    spec: OpSpec,
    c: number,
    timeMs: number,
  ): Promise<Slot> => {
    const subject = family.subjects.get(key)!;
    const prep = prepFor(family, key, spec);
    const id = `${family.kind}/${key}/${opLabel(spec)}`;
    let prepared: Prepared;
    if (spec.op === "getSession" || spec.op === "getSessionsByUserId") {
      prepared = pools.get(id) ?? await prepare(spec, subject, prep, config.maxOps);
      pools.set(id, prepared);
    } else if (spec.op === "setSession") {
      prepared = await prepare(spec, subject, prep, config.maxOps);
    } else {
      const perItem = spec.op === "deleteSessionsByUserId" ? spec.k ?? 1 : 1;
      const expected = rate.get(`${id}/${c}`);
      let count = expected === undefined ? 2000 : Math.ceil(expected * timeMs / 1000 * 1.3) + 16;
      count = Math.max(16, Math.min(count, Math.floor(config.maxOps / perItem)));
      prepared = await prepare(spec, subject, prep, count);
    }
    if (!latencies.has(id)) latencies.set(id, new Float64Array(config.maxOps));
    return {
      family,
      key,
      prepared,
      next: 0,
      seconds: 0,
      cpuNs: 0,
      latencies: latencies.get(id)!,
    };
  };

  const measure = async (
    here: [Family, SubjectKey][],
    spec: OpSpec,
    c: number,
    timeMs: number,
  ): Promise<Map<Slot, Omit<Measurement, "run" | "runtime" | "repeat">>> => {
    if (spec.op === "setSession") await admin.send(["FLUSHDB"]);
    const slots: Slot[] = [];
    for (const [family, key] of here) slots.push(await prepareSlot(family, key, spec, c, timeMs));
    await runSlots(slots, c, timeMs, serverPid);
    const results = new Map<Slot, Omit<Measurement, "run" | "runtime" | "repeat">>();
    for (const s of slots) {
      await s.prepared.verify();
      rate.set(`${s.family.kind}/${s.key}/${opLabel(spec)}/${c}`, s.next / s.seconds);
      const sorted = s.latencies.slice(0, s.next).sort();
      results.set(s, {
        client: s.family.kind,
        subject: s.key,
        op: opLabel(spec),
        concurrency: c,
        ops: s.next,
        seconds: s.seconds,
        opsPerSec: s.next / s.seconds,
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        serverCpuUs: s.cpuNs / 1000 / s.next,
      });
    }
    return results;
  };

  // One block per operation: a warm-up, then the repeats. Within a repeat all subjects run in
  // the same stretch of time (see runSlots), in an order rotated each repeat, so their ratios
  // compare figures taken side by side.
  for (const spec of config.ops) {
    await admin.send(["FLUSHDB"]);
    pools.clear();
    const here: [Family, SubjectKey][] = [];
    for (const family of families) {
      for (const [key, subject] of family.subjects) {
        if (config.extraSubjects?.includes(key)) continue; // counts and memory only
        if (supports(subject, spec)) here.push([family, key]);
      }
    }
    log(
      `${opLabel(spec)}: ${here.length} subjects x ${config.concurrencies.length} ` +
        `concurrencies x ${config.repeats} repeats`,
    );
    for (const c of config.concurrencies) {
      await measure(here, spec, c, Math.max(30, config.durationMs / 2));
    }
    for (let repeat = 0; repeat < config.repeats; repeat++) {
      for (const c of config.concurrencies) {
        const rotated = here.map((_, i) => here[(i + repeat) % here.length]);
        const results = await measure(rotated, spec, c, config.durationMs);
        for (const m of results.values()) {
          out.push({ run: config.run, runtime, repeat, ...m });
        }
      }
    }
  }
  await admin.send(["FLUSHDB"]);
  return out;
}
