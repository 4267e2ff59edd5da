/**
 * The load script, `<runtime> bench/load.ts '<LoadConfig JSON>'` (Deno, Bun, or Node on the
 * esbuild bundle), run by bench/run.ts once per runtime; writes its figures as JSON. Modes,
 * each a module of bench/load/: `throughput`, `counts` (commands and round trips), `memory`.
 * Every loop is bounded in count and time; wrong results throw; speed is never asserted.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import process from "node:process";
import { type Family, openAdmin, openFamily } from "./load/clients.ts";
import { log, runtimeInfo } from "./load/common.ts";
import { counts } from "./load/counts.ts";
import { memory } from "./load/memory.ts";
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
