/**
 * The checks of `doctor`, each on one primary: what the adapter needs of the server, and what
 * would make sessions unsafe (see the README's "Redis server settings"). Nothing is written: the
 * permissions are tried with commands on keys that do not exist, and (Redis >= 7) from a script
 * with `redis.acl_check_cmd`, which checks a command without running it.
 *
 * @module
 */
import * as commands from "../commands.ts";
import type { Command as RedisCommand, Connection, Reply } from "../connection.ts";
import { SCRIPT_COMMANDS } from "../lua_commands.ts";
import type { Keys } from "../options.ts";
import { atLeast, type Node } from "./context.ts";
import { messageOf } from "./io.ts";

/** How a check came out. */
export type Status = "ok" | "warn" | "fail";

/** One check's outcome. */
export interface Check {
  /** Its name: `version`, `eviction`, `persistence`, `replication`, `permissions`, `cluster`. */
  readonly name: string;
  readonly status: Status;
  /** What was found, in one line. */
  readonly finding: string;
  /** What to do about it, in one line (for `warn` and `fail`). */
  readonly advice?: string;
}

/** The field of an `INFO` reply, or undefined. */
export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*?)\\r?$`, "m").exec(info)?.[1];
}

/** What `send()` resolved with, or the error it rejected with. */
async function tryReply(send: () => Promise<Reply>): Promise<Reply | Error> {
  try {
    return await send();
  } catch (error) {
    return error instanceof Error ? error : new Error(messageOf(error));
  }
}

/** True for an error saying the user may not run that command or touch that key. */
function refused(reply: Reply | Error): reply is Error {
  return reply instanceof Error &&
    /NOPERM|no permissions|can't access|insufficient ACL permissions/i.test(reply.message);
}

/** False when `INFO` did not give the version (`[0]`). */
export function knownVersion(version: readonly number[]): boolean {
  return (version[0] ?? 0) > 0;
}

/** Redis >= 6.2. */
export function versionCheck(version: readonly number[]): Check {
  const text = version.join(".");
  if (!knownVersion(version)) {
    return {
      name: "version",
      status: "warn",
      finding: "cannot read the server's version (INFO refused)",
      advice: "Make sure the server is Redis 6.2 or later.",
    };
  }
  return atLeast(version, 6, 2)
    ? { name: "version", status: "ok", finding: `Redis ${text} (6.2 or later needed)` }
    : {
      name: "version",
      status: "fail",
      finding: `Redis ${text}: the adapter needs 6.2 or later (SET … PXAT)`,
      advice:
        "Upgrade Redis to 6.2 or later (7.0 or later for PEXPIREAT … GT and the scripts' ACL checks).",
    };
}

/** `maxmemory-policy`: only `noeviction` keeps "sign out everywhere" complete. */
export async function evictionCheck(node: Node): Promise<Check> {
  const info = await tryReply(() => node.send(["INFO", "memory"]));
  if (typeof info !== "string") {
    return {
      name: "eviction",
      status: "warn",
      finding: `cannot read INFO memory (${messageOf(info)})`,
      advice: "Make sure maxmemory-policy is noeviction (ask your provider if CONFIG is refused).",
    };
  }
  const policy = infoField(info, "maxmemory_policy") ?? "unknown";
  const limit = Number(infoField(info, "maxmemory") ?? "0");
  const advice = "Set maxmemory-policy to noeviction: under any other policy Redis may evict a " +
    "user's index, and signing the user out everywhere then misses live sessions.";
  if (policy === "noeviction") {
    return { name: "eviction", status: "ok", finding: "maxmemory-policy noeviction" };
  }
  if (limit === 0) {
    return {
      name: "eviction",
      status: "warn",
      finding: `maxmemory-policy ${policy}, with no memory limit yet (nothing is evicted now)`,
      advice,
    };
  }
  return {
    name: "eviction",
    status: "fail",
    finding: `maxmemory-policy ${policy} with maxmemory ${limit} bytes: keys may be evicted`,
    advice,
  };
}

/** Persistence: RDB snapshots alone bring revoked sessions back after a restart. */
export async function persistenceCheck(node: Node): Promise<Check> {
  const info = await tryReply(() => node.send(["INFO", "persistence"]));
  const aof = typeof info === "string" ? infoField(info, "aof_enabled") : undefined;
  const config = async (name: string) => {
    const reply = await tryReply(() => node.send(["CONFIG", "GET", name]));
    if (!Array.isArray(reply)) return undefined;
    const flat = reply.flat();
    return typeof flat[1] === "string" ? flat[1] : undefined;
  };
  if (aof === "1") {
    const fsync = await config("appendfsync");
    return {
      name: "persistence",
      status: "ok",
      finding: `append-only file on${fsync === undefined ? "" : ` (appendfsync ${fsync})`}`,
    };
  }
  const save = await config("save");
  if (aof === undefined || save === undefined) {
    return {
      name: "persistence",
      status: "warn",
      finding: "cannot tell how the server persists data (INFO or CONFIG GET refused)",
      advice: "Use appendonly yes, or no persistence: RDB snapshots alone bring sessions revoked " +
        "since the last snapshot back after a restart.",
    };
  }
  if (save.trim() === "") {
    return {
      name: "persistence",
      status: "ok",
      finding: "no persistence: a restart signs everyone out (safe, but every session is lost)",
    };
  }
  return {
    name: "persistence",
    status: "warn",
    finding: `RDB snapshots only (save "${save}"): sessions revoked since the last snapshot ` +
      "come back after a restart",
    advice: "Set appendonly yes (appendfsync everysec loses at most about a second of " +
      "revocations, always none).",
  };
}

/**
 * The commands the adapter's scripts run (from the scripts' own definitions), each with a key of
 * each namespace (`TIME` with none), for acl_check_cmd.
 */
function scriptCommands(session: string, index: string): string[][] {
  return SCRIPT_COMMANDS.flatMap((c) => c === "TIME" ? [[c]] : [[c, session], [c, index]]);
}

/** Lua: the ordinals of the commands (ARGV: each command's length, then its words) refused. */
const ACL_SCRIPT = `
local refused, i, k = {}, 1, 1
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  if not redis.acl_check_cmd(unpack(ARGV, i + 1, i + n)) then refused[#refused + 1] = k end
  i, k = i + n + 1, k + 1
end
return refused`;

/** `GET, SET on session:*; ZADD on userSession:*`: what was refused, by key. */
function refusedList(keys: Keys, commands: readonly string[][], ordinals: readonly number[]) {
  const byKey = new Map<string, string[]>();
  for (const k of ordinals) {
    const [name, key = ""] = commands[k - 1] ?? ["?"];
    const where = [keys.sessionPrefix, keys.userSessionPrefix].find((p) => key.startsWith(p)) ?? "";
    byKey.set(where, [...byKey.get(where) ?? [], name]);
  }
  return [...byKey].map(([where, names]) =>
    `${[...new Set(names)].join(", ")}${where === "" ? "" : ` on ${where}*`}`
  ).join("; ");
}

/**
 * ACL: the commands the adapter sends, tried on keys that do not exist (a refusal is a
 * `NOPERM`), and on Redis >= 7 the commands its scripts run, checked by `redis.acl_check_cmd`.
 * Sent through the routed connection, as the adapter sends them (once: the ACL is the user's).
 */
export async function permissionsCheck(
  connection: Connection,
  keys: Keys,
  version: readonly number[],
): Promise<Check> {
  const send = (command: RedisCommand) => tryReply(() => connection.send(command));
  const probe = `doctor-probe-${Math.random().toString(36).slice(2)}`;
  const session = keys.session(probe), index = keys.userSession(probe);
  const needed: [string, RedisCommand][] = [
    ["GET", commands.get(session)],
    ["ZRANGE", commands.zrange(index, "0", "-1")],
    ["MGET", commands.mget([session])],
    ["EVAL", commands.eval("return 1", [session], [])],
  ];
  const missing: string[] = [];
  for (const [name, command] of needed) {
    if (refused(await send(command))) missing.push(name);
  }
  // Redis 7 has redis.acl_check_cmd; with the version unknown, it is tried and an error ignored.
  const known = knownVersion(version);
  if ((version[0] >= 7 || !known) && !missing.includes("EVAL")) {
    const inScripts = scriptCommands(session, index);
    const argv = inScripts.flatMap((c) => [String(c.length), ...c]);
    const reply = await send(commands.eval(ACL_SCRIPT, [], argv));
    if (Array.isArray(reply) && reply.length > 0) {
      missing.push(`in scripts ${refusedList(keys, inScripts, reply.map(Number))}`);
    } else if (reply instanceof Error && known) {
      missing.push(`scripts' commands (${messageOf(reply)})`);
    }
  }
  if (missing.length > 0) {
    return {
      name: "permissions",
      status: "fail",
      finding: `refused: ${missing.join(", ")}`,
      advice: `Grant them on the two namespaces, e.g. ACL SETUSER app ~${keys.sessionPrefix}* ` +
        `~${keys.userSessionPrefix}* +@read +@write +@scripting +info +time.`,
    };
  }
  const optional: [string, RedisCommand, string][] = [
    [
      "EVALSHA",
      commands.evalsha("0".repeat(40), [session], []),
      "whole scripts are sent every time",
    ],
    ["INFO", commands.info("memory"), "no eviction warning from the adapter"],
  ];
  const degraded: string[] = [];
  for (const [name, command, effect] of optional) {
    const reply = await send(command);
    if (refused(reply) || (reply instanceof Error && /unknown command/i.test(reply.message))) {
      degraded.push(`${name} (${effect})`);
    }
  }
  const scope = version[0] >= 7 || !known
    ? "every command the adapter sends, and every one its scripts run, allowed"
    : "every command the adapter sends allowed (those its scripts run are checked from Redis 7)";
  if (degraded.length > 0) {
    return {
      name: "permissions",
      status: "warn",
      finding: `the adapter works, but refused: ${degraded.join(", ")}`,
      advice: `Allow ${degraded.map((d) => d.split(" ")[0]).join(", ")} for the adapter's user.`,
    };
  }
  return { name: "permissions", status: "ok", finding: scope };
}

/** One replica as `INFO replication` lists it on its primary (`slave0:ip=…,state=online,lag=0`). */
interface ReplicaLine {
  readonly address: string;
  readonly state: string;
  /** Seconds since its last acknowledgement, or undefined when not given. */
  readonly lag: number | undefined;
}

function replicasIn(info: string): ReplicaLine[] {
  const out: ReplicaLine[] = [];
  for (const [, fields] of info.matchAll(/^slave\d+:(.*?)\r?$/gm)) {
    const field = (name: string) => new RegExp(`(?:^|,)${name}=([^,]*)`).exec(fields)?.[1];
    const lag = field("lag");
    out.push({
      address: `${field("ip") ?? "?"}:${field("port") ?? "?"}`,
      state: field("state") ?? "unknown",
      lag: lag === undefined ? undefined : Number(lag),
    });
  }
  return out;
}

/** A number from `CONFIG GET name`, or undefined when refused (managed services) or absent. */
async function configNumber(node: Node, name: string): Promise<number | undefined> {
  const reply = await tryReply(() => node.send(["CONFIG", "GET", name]));
  if (!Array.isArray(reply)) return undefined;
  const value = reply.flat()[1];
  return typeof value === "string" && value !== "" ? Number(value) : undefined;
}

/**
 * Replication (`INFO replication`, and `min-replicas-to-write` / `min-replicas-max-lag` by
 * `CONFIG GET` where allowed): a primary's connected replicas and their lag. Fails when the
 * server is a replica (the adapter's writes would fail with READONLY) or has fewer connected
 * replicas than `asked` (`--replicas N`: the `durability` option's `replicas`, which every
 * revocation would then fail to meet) or when the ACL refuses `WAIT` (checked with `WAIT 0 0`,
 * which returns at once); warns on a primary with replicas that acknowledges writes
 * no replica has (`min-replicas-to-write` 0), since a failover can then undo revocations.
 */
export async function replicationCheck(node: Node, asked?: number): Promise<Check> {
  const info = await tryReply(() => node.send(["INFO", "replication"]));
  const wanted = asked === undefined ? "" : ` (--replicas ${asked} asked)`;
  if (typeof info !== "string") {
    return {
      name: "replication",
      status: asked === undefined ? "warn" : "fail",
      finding: `cannot read INFO replication (${messageOf(info)})${wanted}`,
      advice: "Allow INFO for the adapter's user, or check replication with your provider.",
    };
  }
  if (infoField(info, "role") === "slave") {
    const primary = `${infoField(info, "master_host")}:${infoField(info, "master_port")}`;
    return {
      name: "replication",
      status: "fail",
      finding: `a replica of ${primary} (link ${
        infoField(info, "master_link_status") ?? "unknown"
      }): the adapter's writes fail here with READONLY`,
      advice: "Point the adapter (and doctor) at the primary.",
    };
  }
  if (asked !== undefined && refused(await tryReply(() => node.send(["WAIT", "0", "0"])))) {
    return {
      name: "replication",
      status: "fail",
      finding: "WAIT refused by the ACL: with the durability option every revocation would fail",
      advice: "Allow WAIT for the adapter's user (+wait: it is in @connection, not @write).",
    };
  }
  const replicas = replicasIn(info);
  const online = replicas.filter((r) => r.state === "online");
  const lags = online.map((r) => r.lag === undefined ? "?" : `${r.lag} s`).join(", ");
  const minToWrite = await configNumber(node, "min-replicas-to-write");
  const maxLag = await configNumber(node, "min-replicas-max-lag");
  const count = `${online.length} replica${online.length === 1 ? "" : "s"} connected` +
    (online.length > 0 ? ` (lag ${lags})` : "") +
    (replicas.length > online.length ? `, ${replicas.length - online.length} syncing` : "");
  const setting = minToWrite === undefined
    ? "min-replicas-to-write unknown (CONFIG GET refused)"
    : `min-replicas-to-write ${minToWrite}` +
      (minToWrite > 0 && maxLag !== undefined ? ` (max lag ${maxLag} s)` : "");
  if (asked !== undefined && online.length < asked) {
    return {
      name: "replication",
      status: "fail",
      finding: `${count}, fewer than --replicas ${asked}`,
      advice: `With durability.replicas ${asked}, every revocation would reject with a ` +
        "DurabilityError: add replicas, or ask for no more than are connected.",
    };
  }
  if (online.length === 0) {
    return {
      name: "replication",
      status: "ok",
      finding: `no replicas: a failover has nothing to promote (${setting})`,
    };
  }
  if (minToWrite === undefined || minToWrite === 0) {
    return {
      name: "replication",
      status: "warn",
      finding: `${count}, ${setting}: the primary acknowledges writes no replica has, and a ` +
        "failover can bring revoked sessions back",
      advice: "Set min-replicas-to-write 1 and min-replicas-max-lag 10 (writes then fail while " +
        "no replica keeps up), and use the adapter's durability option for revocations.",
    };
  }
  return { name: "replication", status: "ok", finding: `${count}, ${setting}${wanted}` };
}

/** `CLUSTER INFO`: the cluster is ok and serves every slot. */
export async function clusterCheck(node: Node): Promise<Check> {
  const info = await tryReply(() => node.send(["CLUSTER", "INFO"]));
  if (typeof info !== "string") {
    return {
      name: "cluster",
      status: "fail",
      finding: `CLUSTER INFO failed (${messageOf(info)})`,
      advice: "Check that the node is part of a Redis Cluster and CLUSTER INFO is allowed.",
    };
  }
  const state = infoField(info, "cluster_state") ?? "unknown";
  const slots = Number(infoField(info, "cluster_slots_ok") ?? 0);
  if (state === "ok" && slots === 16384) {
    return { name: "cluster", status: "ok", finding: "cluster_state ok, all 16384 slots served" };
  }
  return {
    name: "cluster",
    status: "fail",
    finding: `cluster_state ${state}, ${slots} of 16384 slots ok`,
    advice: "Fix the cluster (redis-cli --cluster check) before relying on it for sessions.",
  };
}
