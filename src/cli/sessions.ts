/**
 * `sessions <userId>`: the user's live sessions, read the way the adapter's
 * `getSessionsByUserId` reads them (an index left by an earlier adapter is read in place,
 * nothing is written).
 *
 * @module
 */
import { readUserSessions } from "../open.ts";
import type { Command } from "./command.ts";
import { isoTime } from "./format.ts";
import { CliError, messageOf } from "./io.ts";
import { storeOf } from "./store.ts";

/** One session as `sessions --json` lists it. */
export interface SessionLine {
  /** The session id. */
  readonly id: string;
  /** `active` until `activeExpires`, then `idle` until `idleExpires`. */
  readonly state: "active" | "idle";
  /** When the active period ends (Unix time, ms). */
  readonly activeExpires: number;
  /** When the idle period ends and the session is gone (Unix time, ms). */
  readonly idleExpires: number;
}

/** The `sessions` command. */
export const sessionsCommand: Command = {
  name: "sessions",
  summary: "List a user's live sessions (id, active and idle expiry)",
  usage: "sessions <userId> [--json]",
  description: `
Lists the user's live sessions, one a line, by idle expiry: the session id, whether it is
active or idle, and when its active and idle periods end. With --json, a JSON array of
{ id, state, activeExpires, idleExpires } (times in Unix milliseconds). Reads only.`,
  options: [],
  positionals: { name: "user id", min: 1, max: 1 },
  async run(context, args) {
    const userId = args.positionals[0];
    const { keys, store } = storeOf(context);
    let found;
    try {
      found = await readUserSessions(store, keys, userId);
    } catch (error) {
      throw new CliError(`cannot read the sessions of user "${userId}": ${messageOf(error)}`);
    }
    const now = Date.now();
    const lines: SessionLine[] = found.map((s) => ({
      id: s.id,
      state: s.active_expires > now ? "active" : "idle",
      activeExpires: s.active_expires,
      idleExpires: s.idle_expires,
    }));
    if (context.json) {
      context.io.stdout(JSON.stringify(lines, null, 2) + "\n");
      return 0;
    }
    if (lines.length === 0) {
      context.io.stdout(`no live sessions for user "${userId}"\n`);
      return 0;
    }
    const width = Math.max(...lines.map((l) => l.id.length));
    context.io.stdout(
      lines.map((l) =>
        `${l.id.padEnd(width)}  ${l.state.padEnd(6)}  active until ${isoTime(l.activeExpires)}` +
        `  idle until ${isoTime(l.idleExpires)}\n`
      ).join(""),
    );
    return 0;
  },
};
