/**
 * The `cost` mode: what each operation (and the Lucia-like mix) costs the Redis server, per
 * request, for every subject, measured side by side in one run on one server.
 *
 * Per operation and repeat: a flushed database; every subject's data stored through the
 * subject itself (each its own users and ids, side by side in the database, all stored at
 * the same time); a warm-up that
 * loads each subject's scripts; then the requests of each subject (a fixed number,
 * `concurrency` in flight over `connections` connections, in each of the configured regimes)
 * in `slices` rounds: each round runs a slice of
 * every subject, in an order rotated per round, so that a burst of other work on the machine
 * lands on all subjects alike. Each slice is measured between `CONFIG RESETSTAT` and
 * `INFO commandstats`. Two figures per request: the µs Redis timed for the commands the
 * subject sent at top level (see `topLevel` in stats.ts), and the CPU time the redis-server
 * main thread used meanwhile (schedstat: reading, parsing and replying included, which
 * commandstats leaves out). The report takes medians over repeats.
 *
 * @module
 */
import { resetCounts } from "../../bench/counting.ts";
import type { Admin } from "../../bench/load/clients.ts";
import { check, log, runPool } from "../../bench/load/common.ts";
import { type Cell, cellLabel, hasOp, prepareCell } from "./cells.ts";
import { openServerFamily, type ServerFamily } from "./family.ts";
import { parseCommandStats, threadCpuNs, topLevel } from "./stats.ts";
import type { SubjectKey } from "../../bench/subjects.ts";
import type { CostRecord, ServerConfig } from "./types.ts";

/**
 * Runs the cost mode on the benchmark's server (`pid` for schedstat, if known), once per
 * regime of connections and requests in flight.
 */
export async function costMode(
  config: ServerConfig,
  admin: Admin,
  pid: number | undefined,
): Promise<CostRecord[]> {
  const out: CostRecord[] = [];
  for (const { connections, concurrency } of config.cost.regimes) {
    const family = await openServerFamily(config.url, connections);
    try {
      log(`cost with ${concurrency} requests in flight over ${connections} connection(s)`);
      out.push(...await costRegime(config, family, admin, pid, connections, concurrency));
    } finally {
      await family.close();
    }
  }
  return out;
}

async function costRegime(
  config: ServerConfig,
  family: ServerFamily,
  admin: Admin,
  pid: number | undefined,
  connections: number,
  concurrency: number,
): Promise<CostRecord[]> {
  const { cells, repeats, subjects, slices } = config.cost;
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
      // Stored concurrently, so that no subject's keys are all older or newer than another's
      // (where a key sits in Redis's hash table changes what finding it costs).
      const cells = await Promise.all(here.map((key) => {
        const { subject } = counted.get(key)!;
        const seeder = family.seederFor(key, label, subject);
        const seedNo = 7000 + 97 * c + 1000 * repeat + subjects.indexOf(key);
        return prepareCell(spec, subject, seeder, spec.size, seedNo);
      }));
      const prepared = new Map<SubjectKey, { cell: Cell; record: CostRecord }>();
      for (const [i, key] of here.entries()) {
        const cell = cells[i];
        await cell.warm();
        const record: CostRecord = {
          op: label,
          subject: key,
          connections,
          concurrency,
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
