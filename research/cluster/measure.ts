/**
 * The cluster mode's parts. Both run every subject on the same cluster, with its data stored
 * through the subject itself (its own keys and value format, each its own users and ids).
 *
 * - `counts`: one operation at a time, the commands each operation asks its client to send and
 *   the round trips they take (counting wrapper, as bench/counting.ts defines them),
 *   cross-checked against `MONITOR` on every primary (the run fails if they differ).
 * - `cost`: per operation, concurrency and repeat, a fixed number of requests per subject, in
 *   rounds of slices (an order rotated per round), each slice between `CONFIG RESETSTAT` on
 *   every primary and their `INFO commandstats`: the µs Redis timed for the subject's
 *   top-level commands, summed over the primaries; their main threads' CPU time; and the
 *   requests' wall time, for ops/s.
 *
 * @module
 */
import { resetCounts } from "../../bench/counting.ts";
import { check, log, runPool } from "../../bench/load/common.ts";
import { type Executed, type MonitorTap, openMonitor } from "../monitor.ts";
import { type Cell, cellLabel, hasOp, prepareCell, seed } from "../server/cells.ts";
import { Universe } from "../server/data.ts";
import { type CommandStat, parseCommandStats, topLevel } from "../server/stats.ts";
import type { ClusterBench, CountedSubject } from "./clients.ts";
import type { ClusterConfig, ClusterCostRecord, ClusterCountRecord } from "./types.ts";

/**
 * Runs every operation of every subject on 30 users' sessions before anything is measured: each
 * primary then has every script an operation runs (a script is loaded on a primary the first
 * time a key of that primary needs it), and each subject has shown it works on the cluster.
 */
export async function warmAll(bench: ClusterBench): Promise<void> {
  for (const [i, { key, subject }] of bench.subjects.entries()) {
    const u = new Universe(500 + i, 2);
    const all = Array.from({ length: 60 }, (_, n) => n);
    const users = all.slice(0, 30);
    await seed(subject, u, 60);
    for (const n of all) check((await subject.getSession(u.id(n)))?.id === u.id(n), key);
    if (subject.updateSession) {
      await Promise.all(all.map((n) => subject.updateSession!(u.id(n), { country: "DE" })));
      await Promise.all(
        all.map((n) => subject.updateSession!(u.id(n), { idle_expires: u.base + n + 1 })),
      );
    }
    for (const user of users) {
      const list = await subject.getSessionsByUserId!(u.user(user));
      check(list.length === 2, `${key}: warm-up listed ${list.length} of 2`);
    }
    await Promise.all(users.map((user) => subject.deleteSession(u.id(2 * user))));
    await Promise.all(users.map((user) => subject.deleteSessionsByUserId!(u.user(user))));
    check((await subject.getSession(u.id(1))) === null, `${key}: warm-up left a session`);
  }
  await bench.everyPrimary(["FLUSHALL", "SYNC"]);
}

/** Records what every tap's server executed while `fn` ran (the taps nested). */
async function betweenAll(taps: MonitorTap[], fn: () => Promise<void>): Promise<Executed[]> {
  if (taps.length === 0) {
    await fn();
    return [];
  }
  const inner: Executed[] = [];
  const outer = await taps[0].between(async () => {
    inner.push(...await betweenAll(taps.slice(1), fn));
  });
  return [outer, ...inner];
}

/** One round trip's commands, e.g. `ZRANGE` or `10 GET`. */
function tripText(trip: string[]): string {
  const n = new Map<string, number>();
  for (const name of trip) n.set(name, (n.get(name) ?? 0) + 1);
  return [...n].map(([name, c]) => (c === 1 ? name : `${c} ${name}`)).join(" + ");
}

/** The counts part. */
export async function countsPart(
  config: ClusterConfig,
  bench: ClusterBench,
): Promise<ClusterCountRecord[]> {
  const out: ClusterCountRecord[] = [];
  const m = config.countOps;
  for (const [c, spec] of config.cells.entries()) {
    const label = cellLabel(spec);
    for (const [i, { key, subject, counts }] of bench.subjects.entries()) {
      if (!hasOp(subject, spec)) continue;
      await bench.everyPrimary(["FLUSHALL", "SYNC"]);
      const cell = await prepareCell(spec, subject, subject, m, 3000 + 97 * c + i);
      await cell.warm();
      resetCounts(counts);
      let shape = "";
      // MONITOR slows every command: open it only for this.
      const taps = await Promise.all(bench.primaries.map((p) => openMonitor(p.host, p.port)));
      const seen = await betweenAll(taps, async () => {
        for (let n = 0; n < m; n++) {
          await cell.run(n);
          if (n === 0) shape = counts.trips.map(tripText).join(" → ");
        }
      }).finally(() => taps.forEach((tap) => tap.close()));
      const sent = [...counts.byName];
      const record: ClusterCountRecord = {
        op: label,
        subject: key,
        commands: counts.commands / m,
        roundTrips: counts.roundTrips / m,
        monitorCommands: seen.reduce((sum, x) => sum + x.client.length, 0) / m,
        scriptCommands: seen.reduce((sum, x) => sum + x.script.length, 0) / m,
        perPrimary: seen.map((x) => x.client.length / m),
        shape,
      };
      check(
        record.commands === record.monitorCommands,
        `cluster ${key} ${label}: the counting wrapper saw ${record.commands} commands per op ` +
          `(${JSON.stringify(sent)}), MONITOR on the primaries ` +
          `${record.monitorCommands} (${JSON.stringify(seen.map((x) => x.client))})`,
      );
      await cell.verify();
      out.push(record);
    }
    log(`cluster counts ${label}`);
  }
  return out;
}

/** Adds up `INFO commandstats` of every primary. */
async function commandStats(bench: ClusterBench): Promise<Map<string, CommandStat>> {
  const sum = new Map<string, CommandStat>();
  for (const text of await bench.everyPrimary(["INFO", "commandstats"])) {
    for (const [name, x] of parseCommandStats(String(text))) {
      const s = sum.get(name) ?? { calls: 0, usec: 0 };
      sum.set(name, { calls: s.calls + x.calls, usec: s.usec + x.usec });
    }
  }
  return sum;
}

/** One slice of a cell: requests `from..to-1` at concurrency `c`, priced. */
async function slice(
  bench: ClusterBench,
  { key, counts }: CountedSubject,
  cell: Cell,
  record: ClusterCostRecord,
  [from, to]: [number, number],
): Promise<void> {
  resetCounts(counts);
  await bench.everyPrimary(["CONFIG", "RESETSTAT"]);
  const cpu0 = bench.cpuNs();
  const run = await runPool(record.concurrency, to, 600_000, cell.run, undefined, from);
  const cpu1 = bench.cpuNs();
  check(run.done === to, `cluster ${key} ${record.op}: ${run.done - from} of ${to - from} done`);
  const priced = topLevel(await commandStats(bench), counts.byName);
  record.seconds += run.seconds;
  record.usec += priced.usec;
  record.cpuNs += cpu1 - cpu0;
  for (const [name, x] of Object.entries(priced.commands)) {
    const sum = record.commands[name] ??= { sent: 0, usec: 0 };
    sum.sent += x.sent;
    sum.usec += x.usec;
  }
}

/** The cost part. */
export async function costPart(
  config: ClusterConfig,
  bench: ClusterBench,
): Promise<ClusterCostRecord[]> {
  const out: ClusterCostRecord[] = [];
  const { repeats, slices } = config;
  for (const concurrency of config.concurrencies) {
    for (const [c, spec] of config.cells.entries()) {
      const label = cellLabel(spec);
      const here = bench.subjects.filter((s) => hasOp(s.subject, spec));
      const t = performance.now();
      for (let repeat = 0; repeat < repeats; repeat++) {
        await bench.everyPrimary(["FLUSHALL", "SYNC"]);
        // Every subject's data at once (stored concurrently), each its own users and ids.
        const cells = await Promise.all(here.map(({ subject }, i) => {
          const seedNo = 11_000 + 97 * c + 1000 * repeat + 10 * i + concurrency;
          return prepareCell(spec, subject, subject, spec.size, seedNo);
        }));
        for (const cell of cells) await cell.warm();
        const records = here.map(({ key }, i): ClusterCostRecord => ({
          op: label,
          subject: key,
          concurrency,
          repeat,
          ops: cells[i].count,
          seconds: 0,
          usec: 0,
          cpuNs: 0,
          commands: {},
        }));
        for (let round = 0; round < slices; round++) {
          for (let j = 0; j < here.length; j++) {
            const i = (j + round + repeat) % here.length;
            const count = cells[i].count;
            const range: [number, number] = [
              Math.floor(count * round / slices),
              Math.floor(count * (round + 1) / slices),
            ];
            if (range[1] > range[0]) await slice(bench, here[i], cells[i], records[i], range);
          }
        }
        for (const cell of cells) await cell.verify();
        out.push(...records);
      }
      log(
        `cluster cost ${label} c=${concurrency}: ${here.length} subjects x ${repeats} repeats ` +
          `in ${((performance.now() - t) / 1000).toFixed(1)} s`,
      );
    }
  }
  await bench.everyPrimary(["FLUSHALL", "SYNC"]);
  return out;
}
