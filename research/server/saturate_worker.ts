/**
 * One client process of the saturation mode (saturate.ts starts several): stores its own users'
 * sessions through its subject, says `READY`, waits for `GO` on stdin, then runs the Lucia-like
 * mix (mix.ts) with `concurrency` requests in flight over `connections` connections (each user
 * on one of them) for `seconds`, and prints
 * `RESULT <json>`: requests done, seconds, and its own CPU time.
 *
 * Usage (Deno): deno run -A research/server/saturate_worker.ts '<json>'
 *
 * @module
 */
import process from "node:process";
import { nodeRedisClient } from "../../bench/load/clients.ts";
import { runPool } from "../../bench/load/common.ts";
import { oursSubject, v2Subject } from "../../bench/subjects.ts";
import { mixRun } from "./mix.ts";

interface WorkerConfig {
  url: string;
  subject: "ours" | "v2";
  seed: number;
  users: number;
  concurrency: number;
  connections: number;
  seconds: number;
}

function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    let text = "";
    process.stdin.on("data", (chunk: Uint8Array) => {
      text += new TextDecoder().decode(chunk);
      if (text.includes("GO")) resolve();
    });
    // The parent went away (or gave up) before saying GO: stop.
    process.stdin.on("end", () => {
      if (!text.includes("GO")) process.exit(1);
    });
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[process.argv.length - 1]) as WorkerConfig;
  const clients = [];
  for (let i = 0; i < config.connections; i++) clients.push(await nodeRedisClient(config.url));
  try {
    const subjects = clients.map((client) =>
      config.subject === "ours"
        ? oursSubject(client, "node-redis")
        : v2Subject(client, "node-redis")
    );
    const mix = mixRun(subjects, config.seed, config.users);
    await mix.seed(subjects[0], 256);
    await mix.warm();
    const go = waitForGo();
    process.stdout.write("READY\n");
    await go;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const run = await runPool(config.concurrency, 1e9, config.seconds * 1000, mix.run);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const result = { requests: run.done, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    for (const client of clients) await client.quit();
  }
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`saturation worker failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
