/**
 * `sessions <userId>`: the user's live sessions, read without writing anything: the index (a
 * sorted set, or the list or set an earlier adapter left, read in place), then each listed
 * session, keeping those that are the user's and not yet past their idle expiry. The adapter's
 * own `getSessionsByUserId` also drops dead ids from the index as it reads (on a cluster, and in
 * its script fallback); this command leaves that to the adapter and to `migrate`.
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Command as RedisCommand, Reply } from "../clients/connection.ts";
import { shortId } from "../core/errors.ts";
import { parseSession, type StoredSession } from "../core/session.ts";
import type { Command } from "./command.ts";
import type { Context } from "./context.ts";
import { isoTime } from "./format.ts";
import { CliError, messageOf } from "./io.ts";
import { membersCommand, sessionValues } from "./scan.ts";

async function send(context: Context, command: RedisCommand): Promise<Reply> {
  try {
    return await context.connection.send(command);
  } catch (error) {
    const [name] = command.args, key = command.args[command.keys[0]];
    throw new CliError(`${name} ${key} failed: ${messageOf(error)}`);
  }
}

/** The user's live sessions, by idle expiry; reads only. */
async function liveSessions(context: Context, userId: string): Promise<StoredSession[]> {
  const index = context.keys.userSession(userId);
  const type = String(await send(context, commands.type(index)));
  if (type === "none") return [];
  const list = membersCommand(index, type);
  if (list === undefined) {
    throw new CliError(`${index} holds a ${type}, not an index of sessions`);
  }
  const listed = await send(context, list);
  const ids = Array.isArray(listed) ? listed.map(String) : [];
  const now = Date.now();
  const sessions: StoredSession[] = [];
  // A key of another type under the namespace reads as null: no session of this user's.
  for (const [id, value] of await sessionValues(context, ids)) {
    if (typeof value !== "string" || value === "") continue; // gone, or a tombstone
    const session = parseSession(context.keys.sessionForLog(id), value);
    if (session.user_id === userId && session.idle_expires > now) sessions.push(session);
  }
  return sessions.sort((a, b) => a.idle_expires - b.idle_expires);
}

/** One session as `sessions --json` lists it. */
export interface SessionLine {
  /** The session id: its start and `…` (the library's `shortId`), whole with `--full-ids`. */
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
  usage: "sessions <userId> [--full-ids] [--json]",
  description: `
Lists the user's live sessions, one a line, by idle expiry: the session id, whether it is
active or idle, and when its active and idle periods end. With --json, a JSON array of
{ id, state, activeExpires, idleExpires } (times in Unix milliseconds). A session id is a
credential: it is shortened to its first characters and "…" (as in the adapter's error
messages), in text and JSON alike, unless --full-ids is given. Reads only: an index left by an
earlier adapter is read as it is, and ids of sessions that are gone stay listed in it (the
adapter drops them as it goes, and migrate does at once).`,
  options: [{
    name: "full-ids",
    kind: "flag",
    help: "Print whole session ids (they are credentials: mind where the output goes)",
  }],
  positionals: { name: "user id", min: 1, max: 1 },
  async run(context, args) {
    const userId = args.positionals[0];
    let found;
    try {
      found = await liveSessions(context, userId);
    } catch (error) {
      throw new CliError(`cannot read the sessions of user "${userId}": ${messageOf(error)}`);
    }
    const now = Date.now();
    const full = args.options["full-ids"] === true;
    const lines: SessionLine[] = found.map((s) => ({
      id: full ? s.id : shortId(s.id),
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
