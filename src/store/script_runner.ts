/**
 * How the scripts (`lua/define.ts` definitions) are run over a connection: each call is one
 * command, `EVAL` the first time (which also loads the script into Redis's cache), `EVALSHA`
 * after that, and `EVAL` again whenever Redis answers `NOSCRIPT` (after a restart, a failover or
 * `SCRIPT FLUSH`).
 *
 * Under an ACL that allows `EVAL` but not `EVALSHA`, the first `NOPERM` for `EVALSHA` switches
 * that connection to `EVAL` for good, so every call works, not only the first of each script.
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Connection, Reply } from "../clients/connection.ts";
import { scriptArrays, type ScriptCall, type ScriptDefinition } from "../lua/define.ts";

/**
 * Runs one script: its definition, and its keys and arguments by name.
 *
 * @internal
 */
export type RunScript = <K extends string, A extends string>(
  definition: ScriptDefinition<K, A>,
  call: ScriptCall<K, A>,
) => Promise<Reply>;

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs scripts over one connection, each call as one command, routed by its first key.
 *
 * @internal
 */
export function scriptRunner(connection: Connection): RunScript {
  const shas = new Map<string, Promise<string>>();
  let evalOnly = false;
  return async (definition, call) => {
    const { keys, args } = scriptArrays(definition, call);
    const { source } = definition;
    const sha = shas.get(source);
    if (sha === undefined || evalOnly) {
      const reply = await connection.send(commands.eval(source, keys, args));
      if (sha === undefined) shas.set(source, sha1Hex(source));
      return reply;
    }
    try {
      return await connection.send(commands.evalsha(await sha, keys, args));
    } catch (error) {
      const message = messageOf(error);
      if (/NOPERM/.test(message) && /evalsha/i.test(message)) evalOnly = true;
      else if (!message.includes("NOSCRIPT")) throw error;
      return await connection.send(commands.eval(source, keys, args));
    }
  };
}
