/**
 * The benchmark's server modes: what each operation costs the Redis server, rather than how fast
 * one client drives it. research/run.ts starts it once, under Deno (the client's runtime does not
 * change what Redis does), against the benchmark's own redis-server.
 *
 * Usage: deno run -A research/server.ts '<ServerConfig JSON>'
 *
 * Modes (each in its own module under research/server/):
 * - `cost`: µs of Redis per request from `INFO commandstats`, and the server main thread's CPU
 *   per request (schedstat), for every subject, per operation and for a Lucia-like mix;
 * - `instructions`: instructions per request on a second redis-server under callgrind
 *   (exactly repeatable; needs valgrind, skipped with a note otherwise);
 * - `variants`: the same for script variants from the previous design to the current one;
 * - `saturation`: several client processes driving one server with the mix;
 * - `worst`: the Redis time of one call against sessions per user, up to 20,000.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";
import { openAdmin } from "../bench/load/clients.ts";
import { log, runtimeInfo } from "../bench/load/common.ts";
import { callgrindMissing, startCallgrindServer } from "./server/callgrind.ts";
import { costMode } from "./server/cost.ts";
import { openServerFamily } from "./server/family.ts";
import { instructionsMode, variantsMode } from "./server/instructions.ts";
import { saturationMode } from "./server/saturate.ts";
import type { ServerConfig, ServerResult } from "./server/types.ts";
import { VARIANTS } from "./server/variants.ts";
import { worstMode } from "./server/worst.ts";

async function callgrindModes(config: ServerConfig, result: ServerResult): Promise<void> {
  const missing = callgrindMissing();
  if (missing) {
    result.instructionsSkipped = missing;
    log(`instruction counts skipped: ${missing}`);
    return;
  }
  const server = await startCallgrindServer();
  log(`redis-server under callgrind on ${server.url} (pid ${server.pid})`);
  try {
    const admin = await openAdmin(server.url);
    const family = await openServerFamily(server.url);
    try {
      // What the idle server runs per second (serverCron), for the method note.
      await server.dump();
      const t = performance.now();
      await new Promise((r) => setTimeout(r, 1000));
      const idle = await server.dump();
      result.idleInstructionsPerSec = idle.total / ((performance.now() - t) / 1000);
      if (config.modes.includes("instructions")) {
        result.instructions.push(...await instructionsMode(config, server, family, admin));
      }
      if (config.modes.includes("variants")) {
        result.instructions.push(...await variantsMode(config, server, family, admin));
      }
    } finally {
      await family.close();
      await admin.close();
    }
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[process.argv.length - 1]) as ServerConfig;
  const { runtime, version } = runtimeInfo();
  const result: ServerResult = {
    runtime,
    runtimeVersion: version,
    cost: [],
    costRegimes: config.cost.regimes,
    costSlices: config.cost.slices,
    instructions: [],
    variants: VARIANTS.map(({ chain, label, change, reference }) => ({
      chain,
      label,
      change,
      reference: reference ?? false,
    })),
    saturation: [],
    worst: [],
    worstCap: config.worst.cap,
    cores: os.cpus().length,
  };
  const admin = await openAdmin(config.url);
  const family = await openServerFamily(config.url);
  try {
    if (config.modes.includes("cost")) {
      log("server cost per operation");
      result.cost = await costMode(config, admin, config.pid);
    }
    if (config.modes.includes("worst")) {
      log("worst case per call against sessions per user");
      result.worst = await worstMode(config, family, admin);
    }
    if (config.modes.includes("saturation")) {
      log(`saturation: ${config.saturation.processes} client processes`);
      result.saturation = await saturationMode(config, admin, config.url, config.pid);
    }
  } finally {
    await family.close();
    await admin.close();
  }
  if (config.modes.includes("instructions") || config.modes.includes("variants")) {
    log("instruction counts (callgrind)");
    await callgrindModes(config, result);
  }
  writeFileSync(config.out, JSON.stringify(result));
  log("done");
}

// Stopped from outside (research/run.ts on a timeout): exit, which stops the valgrind server.
process.on("SIGTERM", () => process.exit(143));

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`server modes failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
