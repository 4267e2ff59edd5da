/**
 * A second, private redis-server run under Valgrind's callgrind, for instruction counts that
 * repeat exactly and do not depend on the machine's load.
 *
 * It starts with instrumentation off (`--instr-atstart=no`), which `callgrind_control -i on`
 * turns on once it is up. A cell is measured between two `callgrind_control -d` (each dump
 * writes the counts since the one before and zeroes them): the second dump's `summary:` is
 * every instruction the server ran for the cell. Of those, the ones in `serverCron` (Redis's
 * timer: 10 times a second, most of it jemalloc's statistics) depend on how long the cell took,
 * not on what it did; the dump's call graph gives them (the inclusive cost of the calls to
 * `serverCron`), so they can be reported and left out.
 *
 * @module
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { join } from "node:path";
import { freePort, privateServerArgs, waitUntilUp } from "../../scripts/redis/server.ts";
import { sleep } from "../../bench/load/common.ts";

/** Instructions of one dump: all of them, and those in serverCron. */
export interface DumpCount {
  total: number;
  cron: number;
}

/** A redis-server under callgrind. */
export interface CallgrindServer {
  url: string;
  pid: number;
  /** Dumps (and zeroes) the counts since the last dump. */
  dump(): Promise<DumpCount>;
  stop(): Promise<void>;
}

/** Why callgrind cannot be used here, or undefined when it can. */
export function callgrindMissing(): string | undefined {
  for (const [tool, arg] of [["valgrind", "--version"], ["callgrind_control", "-h"]]) {
    const r = spawnSync(tool, [arg], { encoding: "utf8" });
    if (r.error) return `${tool} is not installed (Debian: apt-get install valgrind)`;
  }
  return undefined;
}

/**
 * The `summary:` of a callgrind dump and the inclusive cost of its calls to `serverCron`.
 * Function names are compressed: `(id) name` the first time, `(id)` after that.
 */
export function parseDump(text: string): DumpCount {
  const names = new Map<string, string>();
  let total = NaN;
  let callee = "";
  let pending = false;
  const calls: [string, number][] = [];
  for (const line of text.split("\n")) {
    if (pending) {
      const fields = line.trim().split(/\s+/);
      calls.push([callee, Number(fields[fields.length - 1])]);
      pending = false;
      continue;
    }
    const named = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line);
    if (named) {
      if (named[2] !== undefined) names.set(named[1], named[2]);
      if (line.startsWith("cfn=")) callee = named[1];
      continue;
    }
    if (line.startsWith("calls=")) pending = true;
    else if (line.startsWith("summary:")) total = Number(line.slice(8).trim());
  }
  let cron = 0;
  for (const [id, cost] of calls) if (names.get(id) === "serverCron") cron += cost;
  return { total, cron };
}

function control(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("callgrind_control", args, { timeout: 60_000 }, (error) => {
      if (error) reject(new Error(`callgrind_control ${args.join(" ")}: ${error.message}`));
      else resolve();
    });
  });
}

/** Starts redis-server under callgrind on a free loopback port, instrumentation on. */
export async function startCallgrindServer(): Promise<CallgrindServer> {
  const dir = mkdtempSync(join(tmpdir(), "bench-callgrind-"));
  const host = "127.0.0.1";
  const port = await freePort();
  const child: ChildProcess = spawn("valgrind", [
    "--tool=callgrind",
    "--instr-atstart=no",
    `--callgrind-out-file=${dir}/cg.out`,
    "redis-server",
    ...privateServerArgs(host, port),
    "--dir",
    dir,
  ], { stdio: "ignore" });
  let exited = false;
  // If this process ends without stopping it (an error, a signal), it goes too.
  const orphan = () => {
    if (!exited) child.kill("SIGKILL");
  };
  process.on("exit", orphan);
  const gone = new Promise<void>((resolve) => {
    child.on("exit", () => {
      exited = true;
      process.off("exit", orphan);
      resolve();
    });
  });
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(host, port, Date.now() + 60_000);
    const pid = child.pid!;
    await control(["-i", "on", String(pid)]);
    let last = 0;
    const dump = async (): Promise<DumpCount> => {
      await control(["-d", String(pid)]);
      for (let attempt = 0; attempt < 100; attempt++) {
        const numbers = readdirSync(dir).map((f) => /^cg\.out\.(\d+)$/.exec(f)?.[1])
          .filter((n): n is string => n !== undefined).map(Number);
        const newest = Math.max(0, ...numbers);
        if (newest > last) {
          const file = `${dir}/cg.out.${newest}`;
          const text = readFileSync(file, "utf8");
          if (/^totals:/m.test(text)) {
            last = newest;
            for (const n of numbers) rmSync(`${dir}/cg.out.${n}`, { force: true });
            return parseDump(text);
          }
        }
        await sleep(50);
      }
      throw new Error("callgrind: no new dump file appeared");
    };
    return { url: `redis://${host}:${port}`, pid, dump, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
