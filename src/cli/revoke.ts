/**
 * `revoke <sessionId>…` and `revoke-user <userId>…`: sign sessions out through the adapter's
 * own operations (`deleteSession` and `deleteSessionsByUserId`, on either path: a single server
 * or a Redis Cluster), and say how many were removed.
 *
 * The count is of the sessions that were live just before: a session that expires or is
 * deleted by the application meanwhile is counted but was not removed here.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { count, plural } from "./format.ts";
import { CliError, messageOf } from "./io.ts";
import { storeOf } from "./open_store.ts";

/**
 * Ids per `deleteSession` call: one script (or one step per id on a cluster) each; a few hundred
 * keep one script's run short and the list of keys it is given well under Lua's `unpack` limit.
 */
const CHUNK = 500;

async function attempt<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new CliError(`cannot ${what}: ${messageOf(error)}`);
  }
}

/** The `revoke` command. */
export const revokeCommand: Command = {
  name: "revoke",
  summary: "Sign out sessions by id",
  usage: "revoke <sessionId>... [--json]",
  description: `
Deletes the sessions with these ids and their entries in their users' indexes, as the
adapter's deleteSession does, and prints how many of them were live. An id with no session is
not an error. With --json: { "requested": n, "revoked": n }.`,
  options: [],
  positionals: { name: "session id", min: 1 },
  async run(context, args) {
    const ids = [...new Set(args.positionals)];
    const { store } = storeOf(context);
    let revoked = 0;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const values = await attempt(
        "read the sessions",
        () => Promise.all(chunk.map((id) => store.getSession(id))),
      );
      revoked += values.filter((v) => v !== null).length;
      await attempt("revoke the sessions", () => store.deleteSession(chunk));
    }
    if (context.json) {
      context.io.stdout(JSON.stringify({ requested: ids.length, revoked }) + "\n");
    } else {
      context.io.stdout(`revoked ${plural(revoked, "session")}${noneNote(ids, revoked)}\n`);
    }
    return 0;
  },
};

/** The `revoke-user` command. */
export const revokeUserCommand: Command = {
  name: "revoke-user",
  summary: "Sign users out everywhere",
  usage: "revoke-user <userId>... [--json]",
  description: `
Deletes every session of these users and their indexes, as the adapter's
deleteSessionsByUserId does ("sign out everywhere"), and prints how many sessions were live.
With --json: { "users": n, "revoked": n }.`,
  options: [],
  positionals: { name: "user id", min: 1 },
  async run(context, args) {
    const users = [...new Set(args.positionals)];
    const { store } = storeOf(context);
    let revoked = 0;
    for (const userId of users) {
      const live = await attempt(
        `read the sessions of user "${userId}"`,
        () => store.getSessionsByUserId(userId),
      );
      // getSessionsByUserId also returns another user's session under a stale id;
      // deleteSessionsByUserId leaves it.
      revoked += live.filter(([, value]) => ownedBy(value, userId)).length;
      await attempt(
        `revoke the sessions of user "${userId}"`,
        () => store.deleteSessionsByUserId(userId),
      );
    }
    if (context.json) {
      context.io.stdout(JSON.stringify({ users: users.length, revoked }) + "\n");
    } else {
      context.io.stdout(
        `revoked ${plural(revoked, "session")} of ${plural(users.length, "user")}\n`,
      );
    }
    return 0;
  },
};

/**
 * What `revoke` adds when some ids had no session: ` (1 of the 3 ids had none)`, ` (the 1 id had
 * none)`; and when an id looks shortened (as `sessions` prints them), that it cannot match.
 */
function noneNote(ids: readonly string[], revoked: number): string {
  const missing = ids.length - revoked;
  if (missing === 0) return "";
  const of = missing === ids.length ? "the" : `${count(missing)} of the`;
  const shortened = ids.some((id) => id.endsWith("…"))
    ? "; an id ending in … is shortened: list whole ones with `sessions <userId> --full-ids`"
    : "";
  return ` (${of} ${plural(ids.length, "id")} had none${shortened})`;
}

/** True unless the value is a session of another user. */
function ownedBy(value: string, userId: string): boolean {
  try {
    const owner = JSON.parse(value)?.user_id;
    return typeof owner !== "string" || owner === userId;
  } catch {
    return true;
  }
}
