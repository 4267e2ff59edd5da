/**
 * The benchmark's load script: runs under Deno, Bun and Node (bundled to .mjs for Node), against
 * one redis-server, and writes its figures as JSON. bench/run.ts starts it once per runtime.
 *
 * Usage: <runtime> bench/load.ts '<LoadConfig JSON>'
 *
 * Modes (each in its own module under bench/load/):
 * - `throughput`: each operation of each subject at each concurrency, on one connection per
 *   subject, repeated; ops/s, p50 and p99 latency per repeat;
 * - `counts`: commands and round trips per operation (counting wrapper), cross-checked against
 *   MONITOR, with the commands Lua scripts ran and Redis's own CPU time per operation;
 * - `memory`: Redis memory per live session, and what is left once every session has expired;
 * - `rtt`: PING round-trip time over the subjects' URL and directly.
 *
 * Every loop is bounded in count and in time. Results are checked as they are produced (wrong
 * results throw), but nothing is asserted about speed.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { type Family, openAdmin, openFamily } from "./load/clients.ts";
import { log, runtimeInfo } from "./load/common.ts";
import { counts } from "./load/counts.ts";
import { memory } from "./load/memory.ts";
import { pingRtt } from "./load/rtt.ts";
import { throughput } from "./load/throughput.ts";
import type { LoadConfig, LoadResult } from "./load/types.ts";

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[process.argv.length - 1]) as LoadConfig;
  const { runtime, version } = runtimeInfo();
  const result: LoadResult = {
    run: config.run,
    runtime,
    runtimeVersion: version,
    measurements: [],
    counts: [],
    memory: [],
    retained: [],
  };
  const admin = await openAdmin(config.directUrl);
  const families: Family[] = [];
  try {
    for (const kind of config.clients) families.push(await openFamily(kind, config));
    if (config.modes.includes("rtt")) {
      const pings = Math.max(50, Math.min(2000, config.countOps * 50));
      result.rtt = await pingRtt(config.directUrl, config.url, pings);
      log(
        `PING p50 direct ${result.rtt.direct.p50.toFixed(3)} ms, measured ` +
          `${result.rtt.measured.p50.toFixed(3)} ms`,
      );
    }
    if (config.modes.includes("counts")) {
      log("counting commands and round trips");
      const t = performance.now();
      result.counts = await counts(config, families, admin);
      log(`counting took ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    if (config.modes.includes("memory")) {
      log("measuring memory");
      const t = performance.now();
      const { live, retained } = await memory(config, families, admin);
      result.memory = live;
      result.retained = retained;
      log(`memory took ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    if (config.modes.includes("throughput")) {
      result.measurements = await throughput(config, families, admin);
    }
  } finally {
    for (const family of families) await family.close();
    await admin.close();
  }
  writeFileSync(config.out, JSON.stringify(result));
  log("done");
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`load failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
