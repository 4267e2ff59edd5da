/**
 * The `cost` mode: what each operation (and the Lucia-like mix) costs the Redis server, per
 * request, for every subject, measured side by side in one run on one server.
 *
 * Per operation and repeat: a flushed database; every subject's data stored through the
 * subject itself (each its own users and ids, side by side in the database); a warm-up that
 * loads each subject's scripts; then the requests of each subject (a fixed number,
 * `concurrency` in flight on one connection) in `slices` rounds: each round runs a slice of
 * every subject, in an order rotated per round, so that a burst of other work on the machine
 * lands on all subjects alike. Each slice is measured between `CONFIG RESETSTAT` and
 * `INFO commandstats`. Two figures per request: the µs Redis timed for the commands the
 * subject sent at top level (see `topLevel` in stats.ts), and the CPU time the redis-server
 * main thread used meanwhile (schedstat: reading, parsing and replying included, which
 * commandstats leaves out). The report takes medians over repeats.
 *
 * @module
 */
import { resetCounts } from "../counting.ts";
import type { Admin } from "../load/clients.ts";
import { check, log, runPool } from "../load/common.ts";
import { type Cell, cellLabel, hasOp, prepareCell } from "./cells.ts";
import type { ServerFamily } from "./family.ts";
import { parseCommandStats, threadCpuNs, topLevel } from "./stats.ts";
import type { SubjectKey } from "../subjects.ts";
import type { CostRecord, ServerConfig } from "./types.ts";

/** Runs the cost mode on the benchmark's server (`pid` for schedstat, if known). */
export async function costMode(
  config: ServerConfig,
  family: ServerFamily,
  admin: Admin,
  pid: number | undefined,
): Promise<CostRecord[]> {
  const { cells, repeats, concurrency, subjects, slices } = config.cost;
  const out: CostRecord[] = [];
  const counted = new Map(subjects.map((key) => [key, family.make(key)]));
  for (const [c, spec] of cells.entries()) {
    const label = cellLabel(spec);
    // For getSession the floor is the plain GET, which is the raw client's own.
    const here = subjects.filter((key) =>
      hasOp(counted.get(key)!.subject, spec) && !(key === "floor" && spec.op === "getSession")
    );
    const t = performance.now();
    for (let repeat = 0; repeat < repeats; repeat++) {
      // Every subject's data in one database (each its own users and ids), then the requests
      // in slices: each round runs a slice of every subject, in an order rotated per round.
      await admin.send(["FLUSHALL", "SYNC"]);
      await admin.send(["SCRIPT", "FLUSH", "SYNC"]);
      const prepared = new Map<SubjectKey, { cell: Cell; record: CostRecord }>();
      for (const key of here) {
        const { subject } = counted.get(key)!;
        const seeder = family.seederFor(key, label, subject);
        const seedNo = 7000 + 97 * c + 1000 * repeat + subjects.indexOf(key);
        const cell = await prepareCell(spec, subject, seeder, spec.size, seedNo);
        await cell.warm();
        const record: CostRecord = {
          op: label,
          subject: key,
          repeat,
          ops: cell.count,
          usec: 0,
          cpuNs: 0,
          commands: {},
        };
        prepared.set(key, { cell, record });
      }
      for (let round = 0; round < slices; round++) {
        for (let j = 0; j < here.length; j++) {
          const key = here[(j + round + repeat) % here.length];
          const { counts } = counted.get(key)!;
          const { cell, record } = prepared.get(key)!;
          const from = Math.floor(cell.count * round / slices);
          const to = Math.floor(cell.count * (round + 1) / slices);
          if (to === from) continue;
          resetCounts(counts);
          await admin.send(["CONFIG", "RESETSTAT"]);
          const cpu0 = threadCpuNs(pid);
          const run = await runPool(concurrency, to, 600_000, cell.run, undefined, from);
          const cpu1 = threadCpuNs(pid);
          const stats = parseCommandStats(String(await admin.send(["INFO", "commandstats"])));
          check(run.done === to, `${key} ${label}: ${run.done - from} of ${to - from} done`);
          const priced = topLevel(stats, counts.byName);
          record.usec += priced.usec;
          record.cpuNs += cpu1 - cpu0;
          for (const [name, x] of Object.entries(priced.commands)) {
            const sum = record.commands[name] ??= { sent: 0, calls: 0, usec: 0 };
            sum.sent += x.sent;
            sum.calls += x.calls;
            sum.usec += x.usec;
          }
        }
      }
      for (const { cell, record } of prepared.values()) {
        await cell.verify();
        out.push(record);
      }
    }
    log(
      `cost ${label}: ${here.length} subjects x ${repeats} repeats in ` +
        `${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  await admin.send(["FLUSHALL", "SYNC"]);
  return out;
}
