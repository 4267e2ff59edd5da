/**
 * How the scripts of `lua.ts` are run over a connection: each call is one command, `EVAL` the
 * first time (which also loads the script into Redis's cache), `EVALSHA` after that, and `EVAL`
 * again whenever Redis answers `NOSCRIPT` (after a restart, a failover or `SCRIPT FLUSH`).
 *
 * Under an ACL that allows `EVAL` but not `EVALSHA`, the first `NOPERM` for `EVALSHA` switches
 * that connection to `EVAL` for good, so every call works, not only the first of each script.
 *
 * @module
 */
import * as commands from "./commands.ts";
import type { Connection, Reply } from "./connection.ts";

/** Runs one script of a set: its name, its keys, its arguments. @internal */
export type RunScript<Name extends string> = (
  name: Name,
  keys: string[],
  args: string[],
) => Promise<Reply>;

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs a set of scripts (name to Lua source) over one connection, each call as one command,
 * routed by its first key.
 *
 * @internal
 */
export function scriptRunner<Name extends string>(
  connection: Connection,
  SCRIPTS: Readonly<Record<Name, string>>,
): RunScript<Name> {
  const shas = new Map<Name, Promise<string>>();
  let evalOnly = false;
  const evaluate = (name: Name, keys: string[], args: string[]) =>
    connection.send(commands.eval(SCRIPTS[name], keys, args));
  return async (name, keys, args) => {
    const sha = shas.get(name);
    if (sha === undefined || evalOnly) {
      const reply = await evaluate(name, keys, args);
      if (sha === undefined) shas.set(name, sha1Hex(SCRIPTS[name]));
      return reply;
    }
    try {
      return await connection.send(commands.evalsha(await sha, keys, args));
    } catch (error) {
      const message = messageOf(error);
      if (/NOPERM/.test(message) && /evalsha/i.test(message)) evalOnly = true;
      else if (!message.includes("NOSCRIPT")) throw error;
      return await evaluate(name, keys, args);
    }
  };
}
