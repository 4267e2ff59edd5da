/**
 * A minimal RESP client: one command per fresh socket, good enough for polling and inspection,
 * plus reading a field of `INFO`-style output.
 *
 * @module
 */
import { Socket } from "node:net";

/** The loopback address every node of an owned cluster binds to. */
export const HOST = "127.0.0.1";

/** An error reply (`-ERR ...`) from Redis. */
export class ReplyError extends Error {
  override name = "ReplyError";
}

/** A decoded RESP2 reply. */
export type Reply = string | number | null | ReplyError | Reply[];

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function lineEndAt(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}

function parseReply(buf: Uint8Array, at: number): [Reply, number] | undefined {
  const lineEnd = lineEndAt(buf, at);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[at]);
  const line = decoder.decode(buf.subarray(at + 1, lineEnd));
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return [line, next];
    case "-":
      return [new ReplyError(line), next];
    case ":":
      return [Number(line), next];
    case "$": {
      const length = Number(line);
      if (length < 0) return [null, next];
      if (buf.length < next + length + 2) return undefined;
      return [decoder.decode(buf.subarray(next, next + length)), next + length + 2];
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: Reply[] = [];
      let offset = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, offset);
        if (!item) return undefined;
        items.push(item[0]);
        offset = item[1];
      }
      return [items, offset];
    }
    default:
      throw new Error(`Unexpected RESP type ${JSON.stringify(type)}`);
  }
}

/**
 * Sends one command (as a RESP array of bulk strings) to `host:port` over a fresh socket and
 * returns the decoded reply; an error reply is returned (not thrown) as a {@linkcode ReplyError}.
 * Rejects when the node cannot be reached or does not answer within `timeoutMs`.
 */
export function nodeCommand(
  host: string,
  port: number,
  args: readonly string[],
  timeoutMs = 2000,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buf = new Uint8Array(0);
    const finish = (error: Error | undefined, reply?: Reply) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply as Reply);
    };
    const timer = setTimeout(
      () => finish(new Error(`${host}:${port} did not answer ${args[0]} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("error", (error) => finish(error));
    socket.on("data", (chunk: Uint8Array) => {
      const merged = new Uint8Array(buf.length + chunk.length);
      merged.set(buf);
      merged.set(chunk, buf.length);
      buf = merged;
      try {
        const parsed = parseReply(buf, 0);
        if (parsed) finish(undefined, parsed[0]);
      } catch (error) {
        finish(error as Error);
      }
    });
    let payload = `*${args.length}\r\n`;
    for (const arg of args) payload += `$${encoder.encode(arg).length}\r\n${arg}\r\n`;
    socket.connect(port, host, () => socket.write(payload));
  });
}

/** {@linkcode nodeCommand} for a reply that must be a string; an error reply is thrown. */
export async function text(host: string, port: number, args: string[]): Promise<string> {
  const reply = await nodeCommand(host, port, args);
  if (reply instanceof ReplyError) throw reply;
  if (typeof reply !== "string") throw new Error(`${args[0]}: unexpected reply ${String(reply)}`);
  return reply;
}

/** The value of `field:` in `INFO` or `CLUSTER INFO` output. */
export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*?)\\r?$`, "m").exec(info)?.[1];
}
