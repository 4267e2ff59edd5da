/**
 * How the scripts (`lua_define.ts` definitions) are run over a connection: each call is one
 * command, `EVAL` the first time (which also loads the script into Redis's cache), `EVALSHA`
 * after that, and `EVAL` again whenever Redis answers `NOSCRIPT` (after a restart, a failover or
 * `SCRIPT FLUSH`). A read-only script goes as `EVAL_RO`/`EVALSHA_RO` (it then runs on a replica
 * too); a server without them (Redis < 7.0, which also refuses the script's `#!lua` flags line)
 * switches that connection to the script without its flags, sent as `EVAL`/`EVALSHA`.
 *
 * Under an ACL that allows `EVAL` but not `EVALSHA`, the first `NOPERM` for `EVALSHA` switches
 * that connection to `EVAL` for good, so every call works, not only the first of each script.
 *
 * @module
 */
import * as commands from "./commands.ts";
import type { Command, Connection, Reply } from "./connection.ts";
import { scriptArrays, type ScriptCall, type ScriptDefinition } from "./lua_define.ts";

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

/** True for an error saying the server has no `EVAL_RO`/`EVALSHA_RO` or no script flags. */
function noReadOnlyScripts(message: string): boolean {
  return /unknown command|Unexpected engine|shebang|flags/i.test(message) &&
    !/NOSCRIPT/.test(message);
}

/**
 * Runs scripts over one connection, each call as one command, routed by its first key.
 *
 * @internal
 */
export function scriptRunner(connection: Connection): RunScript {
  const shas = new Map<string, Promise<string>>();
  let evalOnly = false;
  let noFlags = false;
  return async (definition, call) => {
    const { keys, args } = scriptArrays(definition, call);
    const readOnly = definition.readOnly === true && !noFlags;
    const source = readOnly ? definition.source : definition.plainSource;
    const evaluate = (): Command =>
      readOnly ? commands.evalRo(source, keys, args) : commands.eval(source, keys, args);
    const send = async (command: () => Command | Promise<Command>): Promise<Reply> => {
      try {
        return await connection.send(await command());
      } catch (error) {
        if (!readOnly || !noReadOnlyScripts(messageOf(error))) throw error;
        noFlags = true;
        return await connection.send(commands.eval(definition.plainSource, keys, args));
      }
    };
    const sha = shas.get(source);
    if (sha === undefined || evalOnly) {
      const reply = await send(evaluate);
      if (sha === undefined) shas.set(source, sha1Hex(source));
      return reply;
    }
    try {
      return await send(async () =>
        readOnly
          ? commands.evalshaRo(await sha!, keys, args)
          : commands.evalsha(await sha!, keys, args)
      );
    } catch (error) {
      const message = messageOf(error);
      if (/NOPERM/.test(message) && /evalsha/i.test(message)) evalOnly = true;
      else if (!message.includes("NOSCRIPT")) throw error;
      return await send(evaluate);
    }
  };
}
