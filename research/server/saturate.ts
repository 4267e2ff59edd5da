/**
 * The `saturation` mode: several client processes (saturate_worker.ts, by default one per
 * core) drive one redis-server with the Lucia-like mix, as hard as they can, for ours and for
 * 2.1.2 in turn. Reported: requests per second of the mix, and how busy the server's main
 * thread was (its schedstat CPU time ÷ wall time). At ~100 % the server is the limit and the
 * requests/s ratio is the capacity ratio; below, the clients were the limit and the figure says
 * more about them than about Redis.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import type { Admin } from "../../bench/load/clients.ts";
import { log } from "../../bench/load/common.ts";
import { threadCpuNs } from "./stats.ts";
import type { SaturationRecord, ServerConfig } from "./types.ts";

const WORKER = new URL("./saturate_worker.ts", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;

interface Worker {
  child: ChildProcess;
  exited: Promise<void>;
  ready: Promise<void>;
  result: Promise<{ requests: number; seconds: number; cpuSeconds: number }>;
}

function startWorker(config: object, timeoutMs: number): Worker {
  // The server modes run under Deno: start the workers with the same executable.
  const child = spawn(process.execPath, ["run", "-A", WORKER, JSON.stringify(config)], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  let onReady: () => void = () => {};
  let onResult: (r: { requests: number; seconds: number; cpuSeconds: number }) => void = () => {};
  let onError: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const result = new Promise<{ requests: number; seconds: number; cpuSeconds: number }>(
    (resolve, reject) => {
      onResult = resolve;
      onError = reject;
    },
  );
  const timer = setTimeout(() => {
    child.kill("SIGKILL");
    onError(new Error(`a saturation worker exceeded ${timeoutMs / 1000} s`));
  }, timeoutMs);
  child.stdout!.on("data", (chunk: Uint8Array) => {
    out += String(chunk);
    if (out.includes("READY\n")) onReady();
    const m = /RESULT (\{.*\})\n/.exec(out);
    if (m) onResult(JSON.parse(m[1]));
  });
  const exited = new Promise<void>((resolve) => {
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code !== 0) onError(new Error(`a saturation worker failed (exit ${code})`));
      resolve();
    });
  });
  // A worker that dies before it is ready must not leave `ready` waiting.
  ready.catch(() => {});
  result.catch(() => {});
  return {
    child,
    exited,
    ready: Promise.race([ready, result.then(() => {})]),
    result,
  };
}

/** Runs the saturation mode against the benchmark's server. */
export async function saturationMode(
  config: ServerConfig,
  admin: Admin,
  url: string,
  pid: number | undefined,
): Promise<SaturationRecord[]> {
  const { processes, concurrency, connections, seconds, repeats, users } = config.saturation;
  const out: SaturationRecord[] = [];
  const subjects = ["ours", "v2"] as const;
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const subject of repeat % 2 ? [...subjects].reverse() : subjects) {
      await admin.send(["FLUSHALL", "SYNC"]);
      const workers: Worker[] = [];
      try {
        for (let p = 0; p < processes; p++) {
          workers.push(startWorker({
            url,
            subject,
            seed: 50_000 + 100 * repeat + p,
            users,
            concurrency,
            connections,
            seconds,
          }, 120_000 + seconds * 1000));
        }
        await Promise.all(workers.map((w) => w.ready));
        const cpu0 = threadCpuNs(pid);
        const t0 = performance.now();
        for (const w of workers) w.child.stdin!.write("GO\n");
        const results = await Promise.all(workers.map((w) => w.result));
        const wall = (performance.now() - t0) / 1000;
        const cpu = (threadCpuNs(pid) - cpu0) / 1e9;
        const requests = results.reduce((a, r) => a + r.requests, 0);
        out.push({
          subject,
          repeat,
          processes,
          concurrency,
          connections,
          requests,
          seconds: wall,
          requestsPerSec: results.reduce((a, r) => a + r.requests / r.seconds, 0),
          serverBusy: cpu / wall,
          clientsBusy: results.reduce((a, r) => a + r.cpuSeconds, 0) / wall,
        });
        const last = out[out.length - 1];
        log(
          `saturation ${subject}: ${Math.round(last.requestsPerSec)} requests/s, server busy ` +
            `${(last.serverBusy * 100).toFixed(0)} %, clients ${last.clientsBusy.toFixed(2)} cores`,
        );
      } finally {
        for (const w of workers) w.child.stdin!.end();
        // Each worker exits by itself once done; one that does not within 10 s is stopped.
        for (const w of workers) {
          const late = setTimeout(() => w.child.kill("SIGKILL"), 10_000);
          await w.exited;
          clearTimeout(late);
        }
      }
    }
  }
  await admin.send(["FLUSHALL", "SYNC"]);
  return out;
}
