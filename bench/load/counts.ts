/**
 * The `counts` mode: commands and round trips per operation (counting wrapper, bench/counting.ts).
 *
 * @module
 */
import { resetCounts } from "../counting.ts";
import type { Admin, Family } from "./clients.ts";
import { opLabel } from "./common.ts";
import { prepare, prepFor, supports } from "./prepare.ts";
import type { CountRecord, LoadConfig, OpSpec } from "./types.ts";

function countSpecs(config: LoadConfig): OpSpec[] {
  const specs: OpSpec[] = [{ op: "setSession" }, { op: "getSession" }];
  for (const k of config.countKs) specs.push({ op: "getSessionsByUserId", k });
  specs.push({ op: "deleteSession" });
  for (const k of config.countKs) specs.push({ op: "deleteSessionsByUserId", k });
  // Lucia v2's updateSession: only the subjects that have it (the v2 entry and 2.1.2).
  specs.push({ op: "updateSession", update: "country" }, {
    op: "updateSession",
    update: "renewal",
  });
  return specs;
}

/** Counts the commands and round trips of every operation of every subject. */
export async function counts(config: LoadConfig, families: Family[], admin: Admin) {
  const out: CountRecord[] = [];
  for (const family of families.filter((f) => config.countClients.includes(f.kind))) {
    for (const key of family.subjects.keys()) {
      if (key === "ours2") continue;
      const { subject, counts } = family.wrap(key);
      for (const spec of countSpecs(config)) {
        if (!supports(subject, spec)) continue;
        const prep = prepFor(family, key, spec);
        const m = config.countOps;
        // Warm up (loads this instance's scripts), then measure m fresh operations.
        await admin.send(["FLUSHDB"]);
        const warm = await prepare(spec, subject, prep, 2);
        for (let i = 0; i < 2; i++) await warm.run(i);
        await admin.send(["FLUSHDB"]);
        const prepared = await prepare(spec, subject, prep, m);
        resetCounts(counts);
        let shape = "";
        for (let i = 0; i < m; i++) {
          await prepared.run(i);
          // The first op's commands, by round trip, e.g. "GET → DEL+SREM".
          if (i === 0) shape = counts.trips.map((trip) => trip.join("+")).join(" → ");
        }
        await prepared.verify();
        out.push({
          client: family.kind,
          subject: key,
          op: opLabel(spec),
          commands: counts.commands / m,
          roundTrips: counts.roundTrips / m,
          shape,
        });
      }
    }
  }
  return out;
}
