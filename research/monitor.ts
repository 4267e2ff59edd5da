/**
 * A MONITOR tap, to cross-check the counting wrapper against what Redis itself executed: the
 * commands clients sent, and those Lua scripts ran inside them.
 *
 * @module
 */
import { Socket } from "node:net";

/** What Redis executed between two markers. */
export interface Executed {
  /** Commands sent by clients (other than the tap's own markers), by upper-case name. */
  client: string[];
  /** Commands run by Lua scripts, by upper-case name. */
  script: string[];
}

/** A MONITOR connection; `between` records what runs while `fn` runs. */
export interface MonitorTap {
  between(fn: () => Promise<unknown>): Promise<Executed>;
  close(): void;
}

const LINE = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"/;

function connect(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once("error", reject);
    socket.connect(port, host, () => resolve(socket));
  });
}

/** Opens a MONITOR connection (and a second connection for its markers). */
export async function openMonitor(host: string, port: number): Promise<MonitorTap> {
  const monitor = await connect(host, port);
  const marker = await connect(host, port);
  marker.on("data", () => {}); // the ECHO replies are not needed, only read off
  let buffer = "";
  let lines: string[] = [];
  let waiter: (() => void) | undefined;
  monitor.on("data", (chunk: Uint8Array) => {
    buffer += chunk.toString();
    const parts = buffer.split("\r\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
    waiter?.();
  });
  const waitForLine = (pred: (line: string) => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter = undefined;
        reject(new Error(`MONITOR did not deliver ${what} within 10 s`));
      }, 10_000);
      waiter = () => {
        if (lines.some(pred)) {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        }
      };
      waiter();
    });
  monitor.write("MONITOR\r\n");
  await waitForLine((l) => l === "+OK", "+OK");
  let seq = 0;
  const mark = async (text: string) => {
    marker.write(`ECHO ${text}\r\n`);
    await waitForLine((l) => l.includes(text), text);
  };
  return {
    async between(fn) {
      const tag = `bench-mark-${Date.now().toString(36)}-${seq++}`;
      await mark(`${tag}-begin`);
      lines = lines.slice(lines.findIndex((l) => l.includes(`${tag}-begin`)) + 1);
      await fn();
      await mark(`${tag}-end`);
      const end = lines.findIndex((l) => l.includes(`${tag}-end`));
      const seen = lines.slice(0, end);
      lines = lines.slice(end + 1);
      const out: Executed = { client: [], script: [] };
      for (const line of seen) {
        const m = LINE.exec(line);
        if (!m) continue;
        (m[1] === "lua" ? out.script : out.client).push(m[2].toUpperCase());
      }
      return out;
    },
    close() {
      monitor.destroy();
      marker.destroy();
    },
  };
}
