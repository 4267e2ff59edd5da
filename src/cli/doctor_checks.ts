/**
 * The checks of `doctor`, each on one primary: what the adapter needs of the server, and what
 * would make sessions unsafe (see docs/server.md ("Redis server settings")). Nothing is written: the
 * permissions are tried with commands on keys that do not exist, and (Redis >= 7) from a script
 * with `redis.acl_check_cmd`, which checks a command without running it.
 *
 * @module
 */
import * as commands from "../clients/commands.ts";
import type { Command as RedisCommand, Connection, Reply } from "../clients/connection.ts";
import { infoField } from "../clients/reply.ts";
import { SLOTS } from "../clients/key_slot.ts";
import { SCRIPT_COMMANDS } from "../lua/commands.ts";
import { evictionSettings, mayEvict } from "../store/eviction_check.ts";
import type { Keys } from "../core/keys.ts";
import { atLeast, type Node } from "./context.ts";
import { messageOf } from "./io.ts";
import { plural } from "./format.ts";

/**
 * How a check came out: `skip` when this user may not read what the check needs (`CONFIG GET`,
 * `CLUSTER NODES`: an application's ACL, as docs/server.md recommends it, refuses them), so the check
 * could not decide; run doctor as an administrator to have it.
 */
export type Status = "ok" | "warn" | "fail" | "skip";

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

/** True for a command the user may not run, or that the server does not have (a renamed `CONFIG`). */
function unavailable(reply: Reply | Error): reply is Error {
  return refused(reply) || (reply instanceof Error && /unknown command/i.test(reply.message));
}

/** Advice for a check skipped because the user may not run `command`. */
function skipAdvice(command: string): string {
  return `Run doctor as a user allowed ${command} (an administrator) to check this.`;
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
  // The rule is the adapter's own warning's (store/eviction_check.ts); doctor also tells a
  // policy that will evict once a limit is set (warn) from one that may evict now (fail).
  const settings = evictionSettings(info);
  const { policy, maxmemory } = settings;
  const advice = "Set maxmemory-policy to noeviction: under any other policy Redis may evict a " +
    "user's index, and signing the user out everywhere then misses live sessions.";
  if (policy === undefined) {
    return {
      name: "eviction",
      status: "warn",
      finding: "INFO memory names no maxmemory-policy",
      advice: "Make sure maxmemory-policy is noeviction (ask your provider if CONFIG is refused).",
    };
  }
  if (policy === "noeviction") {
    return { name: "eviction", status: "ok", finding: "maxmemory-policy noeviction" };
  }
  if (!mayEvict(settings)) {
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
    finding: `maxmemory-policy ${policy}${
      maxmemory === undefined ? "" : ` with maxmemory ${maxmemory} bytes`
    }: keys may be evicted`,
    advice,
  };
}

/** Persistence: RDB snapshots alone bring revoked sessions back after a restart. */
export async function persistenceCheck(node: Node): Promise<Check> {
  const info = await tryReply(() => node.send(["INFO", "persistence"]));
  const aof = typeof info === "string" ? infoField(info, "aof_enabled") : undefined;
  let configRefused = false;
  const config = async (name: string) => {
    const reply = await tryReply(() => node.send(["CONFIG", "GET", name]));
    if (unavailable(reply)) configRefused = true;
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
  if (aof === "0" && save === undefined && configRefused) {
    return {
      name: "persistence",
      status: "skip",
      finding: "append-only file off; whether RDB snapshots are on is unknown (CONFIG GET " +
        "refused to this user)",
      advice: skipAdvice("CONFIG GET") + " RDB snapshots alone bring revoked sessions back " +
        "after a restart.",
    };
  }
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

/**
 * `GET, SET on session:*; ZADD on userSession:*` (or `DEL on session:* and userSession:*` when
 * both namespaces refuse the same): what was refused, by key.
 */
function refusedList(keys: Keys, commands: readonly string[][], ordinals: readonly number[]) {
  const byKey = new Map<string, string[]>();
  for (const k of ordinals) {
    const [name, key = ""] = commands[k - 1] ?? ["?"];
    const where = [keys.sessionPrefix, keys.userSessionPrefix].find((p) => key.startsWith(p)) ?? "";
    byKey.set(where, [...byKey.get(where) ?? [], name]);
  }
  const byNames = new Map<string, string[]>();
  for (const [where, names] of byKey) {
    const list = [...new Set(names)].join(", ");
    byNames.set(list, [...byNames.get(list) ?? [], where]);
  }
  return [...byNames].map(([names, wheres]) => {
    const on = wheres.filter((w) => w !== "").map((w) => `${w}*`);
    return `${names}${on.length === 0 ? "" : ` on ${on.join(" and ")}`}`;
  }).join("; ");
}

/**
 * Each command the scripts run, sent on its own in a form that changes nothing on a key that does
 * not exist (`SET … XX`, `ZADD … XX`, `PEXPIREAT` of a missing key): how its permission is tried
 * where `redis.acl_check_cmd` cannot be (Redis < 7, or `EVAL` refused).
 */
const HARMLESS: Readonly<Record<string, (key: string) => string[]>> = {
  DEL: (k) => ["DEL", k],
  GET: (k) => ["GET", k],
  LRANGE: (k) => ["LRANGE", k, "0", "0"],
  MGET: (k) => ["MGET", k],
  PEXPIREAT: (k) => ["PEXPIREAT", k, "1"],
  PTTL: (k) => ["PTTL", k],
  SET: (k) => ["SET", k, "", "XX"],
  SMEMBERS: (k) => ["SMEMBERS", k],
  TYPE: (k) => ["TYPE", k],
  ZADD: (k) => ["ZADD", k, "XX", "0", "m"],
  ZCARD: (k) => ["ZCARD", k],
  ZRANGE: (k) => ["ZRANGE", k, "0", "0"],
  ZREM: (k) => ["ZREM", k, "m"],
  ZREMRANGEBYSCORE: (k) => ["ZREMRANGEBYSCORE", k, "1", "0"],
  ZREVRANGE: (k) => ["ZREVRANGE", k, "0", "0"],
  ZSCORE: (k) => ["ZSCORE", k, "m"],
};

/**
 * The ordinals (from 1) of the script commands refused, tried one by one (see `HARMLESS`); a
 * command with no harmless form is reported as refused only when its category is.
 */
async function triedOneByOne(
  send: (command: RedisCommand) => Promise<Reply | Error>,
  inScripts: readonly string[][],
  note: (name: string, reply: Reply | Error) => void,
): Promise<{ refused: number[]; unchecked: string[] }> {
  const refusedOnes: number[] = [];
  const unchecked = new Set<string>();
  for (const [i, [name, key]] of inScripts.entries()) {
    const form = key === undefined ? (name === "TIME" ? [name] : undefined) : HARMLESS[name]?.(key);
    if (form === undefined) {
      unchecked.add(name);
      continue;
    }
    const reply = await send({ args: form, keys: key === undefined ? [] : [1] });
    if (refused(reply)) refusedOnes.push(i + 1);
    note(name, reply);
  }
  return { refused: refusedOnes, unchecked: [...unchecked] };
}

/**
 * The user the connection is authenticated as: `ACL WHOAMI`, else (refused to most
 * applications' users) the URL's user name, else `default`.
 */
export async function connectedUser(node: Node, url: string): Promise<string> {
  const reply = await tryReply(() => node.send(["ACL", "WHOAMI"]));
  if (typeof reply === "string" && reply !== "") return reply;
  try {
    const name = decodeURIComponent(new URL(url.split(",")[0]).username);
    return name === "" ? "default" : name;
  } catch {
    return "default";
  }
}

/** The ACL docs/server.md recommends for `user`, on these namespaces. */
export function recommendedAcl(user: string, keys: Keys): string {
  const name = /^[\w.@-]+$/.test(user) ? user : JSON.stringify(user);
  return `ACL SETUSER ${name} ~${keys.sessionPrefix}* ~${keys.userSessionPrefix}* +@read ` +
    "+@write +@scripting +info +time";
}

/**
 * ACL: the commands the adapter sends, tried on keys that do not exist (a refusal is a
 * `NOPERM`), and the commands its scripts run, checked by `redis.acl_check_cmd` on Redis >= 7
 * (else, or when `EVAL` itself is refused, each tried on its own in a form that writes nothing).
 * Every refused command is listed. Sent through the routed connection, as the adapter sends them
 * (once: the ACL is the user's). `user` is named in the advice.
 */
export async function permissionsCheck(
  connection: Connection,
  keys: Keys,
  version: readonly number[],
  user = "default",
): Promise<Check> {
  const send = (command: RedisCommand) => tryReply(() => connection.send(command));
  const probe = `doctor-probe-${Math.random().toString(36).slice(2)}`;
  const session = keys.session(probe), index = keys.userSession(probe);
  const needed: [string, RedisCommand][] = [
    ["GET", commands.get(session)],
    ["ZRANGE", commands.zrange(index, "0", "-1")],
    ["MGET", commands.mget([session])],
    ["EVAL", commands.eval("return 1", [session], [])],
    // Reading an index an earlier adapter left (a list or a set).
    ["TYPE", commands.type(index)],
    ["LRANGE", commands.lrange(index, "0", "-1")],
    ["SMEMBERS", commands.smembers(index)],
  ];
  // Errors that are no refusal (a connection lost, a node down): the check cannot decide.
  const errors = new Map<string, string>();
  const note = (name: string, reply: Reply | Error) => {
    if (reply instanceof Error && !refused(reply)) errors.set(name, messageOf(reply));
  };
  const direct: string[] = [];
  for (const [name, command] of needed) {
    const reply = await send(command);
    if (refused(reply)) direct.push(name);
    note(name, reply);
  }
  const missing = direct.length > 0 ? [direct.join(", ")] : [];
  const inScripts = scriptCommands(session, index);
  const known = knownVersion(version);
  let unchecked: string[] = [];
  if ((version[0] >= 7 || !known) && !direct.includes("EVAL")) {
    // Redis 7 has redis.acl_check_cmd; with the version unknown, it is tried and an error noted.
    const argv = inScripts.flatMap((c) => [String(c.length), ...c]);
    const reply = await send(commands.eval(ACL_SCRIPT, [], argv));
    if (Array.isArray(reply) && reply.length > 0) {
      missing.push(`in scripts: ${refusedList(keys, inScripts, reply.map(Number))}`);
    } else if (reply instanceof Error && (known || refused(reply))) {
      if (refused(reply)) missing.push(`scripts' commands (${messageOf(reply)})`);
      else note("the scripts' commands", reply);
    }
  } else {
    const tried = await triedOneByOne(send, inScripts, note);
    unchecked = tried.unchecked;
    if (tried.refused.length > 0) {
      missing.push(`in scripts: ${refusedList(keys, inScripts, tried.refused)}`);
    }
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
    } else if (!(reply instanceof Error && /NOSCRIPT/.test(reply.message))) note(name, reply);
  }
  const failed = [...errors].map(([name, message]) => `${name} (${message})`);
  const notChecked = failed.length > 0 ? [`could not check ${failed.join(", ")}`] : [];
  const grant = recommendedAcl(user, keys);
  if (missing.length > 0) {
    return {
      name: "permissions",
      status: "fail",
      finding: `refused: ${
        [...missing, ...(degraded.length > 0 ? [degraded.join(", ")] : []), ...notChecked]
          .join("; ")
      }`,
      advice: `Grant them to ${JSON.stringify(user)} on the two namespaces: ${grant}`,
    };
  }
  if (degraded.length > 0 || notChecked.length > 0) {
    return {
      name: "permissions",
      status: "warn",
      finding: [
        ...(degraded.length > 0 ? [`the adapter works, but refused: ${degraded.join(", ")}`] : []),
        ...notChecked,
      ].join("; "),
      advice: degraded.length > 0
        ? `Allow ${degraded.map((d) => d.split(" ")[0]).join(", ")} for ` +
          `${JSON.stringify(user)}: ${grant}`
        : "Run doctor again once every node answers.",
    };
  }
  const scope = unchecked.length > 0
    ? `every command the adapter sends, and those its scripts run but ${
      unchecked.join(", ")
    }, allowed`
    : "every command the adapter sends, and every one its scripts run, allowed";
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

/**
 * A number from `CONFIG GET name`; undefined when absent, `"refused"` when the user may not run
 * it (an application's ACL) or the server does not have it (managed services).
 */
async function configNumber(node: Node, name: string): Promise<number | undefined | "refused"> {
  const reply = await tryReply(() => node.send(["CONFIG", "GET", name]));
  if (unavailable(reply)) return "refused";
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
  const minSetting = await configNumber(node, "min-replicas-to-write");
  const lagSetting = await configNumber(node, "min-replicas-max-lag");
  const refusedConfig = minSetting === "refused";
  const minToWrite = minSetting === "refused" ? undefined : minSetting;
  const maxLag = lagSetting === "refused" ? undefined : lagSetting;
  const count = `${online.length} replica${online.length === 1 ? "" : "s"} connected` +
    (online.length > 0 ? ` (lag ${lags})` : "") +
    (replicas.length > online.length ? `, ${replicas.length - online.length} syncing` : "");
  const setting = minToWrite === undefined
    ? `min-replicas-to-write unknown (CONFIG GET ${refusedConfig ? "refused" : "gave nothing"})`
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
  if (minToWrite === undefined && refusedConfig) {
    return {
      name: "replication",
      status: "skip",
      finding: `${count}; ${setting} to this user, so whether a failover can bring revoked ` +
        "sessions back is unknown",
      advice: skipAdvice("CONFIG GET") + " Without min-replicas-to-write, a failover can bring " +
        "revoked sessions back.",
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

/**
 * How long a node may take to answer `PING` before doctor calls it unreachable, in ms: as long as
 * connecting may take by default (`DEFAULT_CONNECT_TIMEOUT`), far above a healthy node's reply.
 */
export const ANSWER_MS = 2000;

/** Whether the node answers `PING` within `ms`: true, or the error (or timeout) as text. */
export async function answers(node: Node, ms = ANSWER_MS): Promise<true | string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms);
  });
  try {
    const reply = await Promise.race([tryReply(() => node.send(["PING"])), late]);
    if (typeof reply === "string" && reply !== "PONG") return reply;
    if (reply instanceof Error && !refused(reply)) return messageOf(reply);
    return true;
  } finally {
    clearTimeout(timer);
  }
}

/** One node as `CLUSTER NODES` lists it. @internal */
export interface ClusterNodeLine {
  readonly id: string;
  /** `host:port` (the bus port and host name cut off). */
  readonly address: string;
  readonly flags: readonly string[];
  /** The primary's id for a replica, else `-`. */
  readonly primary: string;
  readonly linked: boolean;
  /** Slot ranges served (primaries). */
  readonly slots: readonly string[];
}

/** Parses a `CLUSTER NODES` reply. @internal */
export function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text.split("\n").map((line) => line.trim()).filter((line) => line !== "").map((line) => {
    const [id, addr = "", flags = "", primary = "-", , , , link = "", ...slots] = line.split(" ");
    return {
      id,
      address: addr.split("@")[0].split(",")[0],
      flags: flags.split(","),
      primary,
      linked: link === "connected",
      slots: slots.filter((slot) => !slot.startsWith("[")),
    };
  });
}

/** True for a node the cluster has flagged as failing (`fail`, `fail?`) or without an address. */
function failing(node: ClusterNodeLine): boolean {
  return node.flags.some((f) => f === "fail" || f === "fail?" || f === "noaddr");
}

const isPrimary = (node: ClusterNodeLine) => node.flags.includes("master");

/**
 * The cluster's health, from every primary the client knows: `cluster` fails when a node does
 * not answer, when `CLUSTER NODES` flags a node `fail` or `fail?` (a primary down, a replica
 * lost), or when `CLUSTER INFO` is not ok on every slot; `shards` warns on a primary serving
 * slots without a healthy replica (its failure would lose those slots and their sessions). Both
 * are `skip` when the user may run neither `CLUSTER NODES` nor `CLUSTER INFO`.
 */
export async function clusterChecks(
  nodes: readonly Node[],
  unreachable: readonly (readonly [Node, string])[],
): Promise<[Check, Check]> {
  const problems = unreachable.map(([node, why]) => `${node.address} does not answer (${why})`);
  let topology: ClusterNodeLine[] | undefined;
  let nodesRefused = 0, infoRefused = 0;
  const answering = nodes.filter((node) => !unreachable.some(([n]) => n === node));
  for (const node of answering) {
    const info = await tryReply(() => node.send(["CLUSTER", "INFO"]));
    if (typeof info === "string") {
      const state = infoField(info, "cluster_state") ?? "unknown";
      const slots = Number(infoField(info, "cluster_slots_ok") ?? 0);
      if (state !== "ok" || slots !== SLOTS) {
        problems.push(`${node.address}: cluster_state ${state}, ${slots} of ${SLOTS} slots ok`);
      }
    } else if (unavailable(info)) {
      infoRefused++;
    } else {
      problems.push(`${node.address}: CLUSTER INFO failed (${messageOf(info)})`);
    }
    if (topology === undefined) {
      const reply = await tryReply(() => node.send(["CLUSTER", "NODES"]));
      if (typeof reply === "string") topology = parseClusterNodes(reply);
      else if (unavailable(reply)) nodesRefused++;
    }
  }
  for (const node of topology ?? []) {
    if (failing(node)) {
      const role = isPrimary(node) ? "primary" : "replica";
      const flag = node.flags.find((f) => f.startsWith("fail")) ?? "noaddr";
      problems.push(`${role} ${node.address} flagged ${flag}`);
    }
  }
  const skipped = problems.length === 0 && topology === undefined && answering.length > 0 &&
    infoRefused === answering.length && nodesRefused > 0;
  if (skipped) {
    const skip = (name: string): Check => ({
      name,
      status: "skip",
      finding: "CLUSTER INFO and CLUSTER NODES refused to this user",
      advice: skipAdvice("CLUSTER INFO and CLUSTER NODES"),
    });
    return [skip("cluster"), skip("shards")];
  }
  const cluster: Check = problems.length === 0
    ? {
      name: "cluster",
      status: "ok",
      finding: `cluster_state ok, all ${SLOTS} slots served, ${
        topology === undefined ? "every primary answers" : `all ${topology.length} nodes healthy`
      }`,
    }
    : {
      name: "cluster",
      status: "fail",
      finding: problems.join("; "),
      advice: "Bring the failed nodes back or replace them (redis-cli --cluster check), " +
        "before relying on the cluster for sessions.",
    };
  if (topology === undefined) {
    return [cluster, {
      name: "shards",
      status: "skip",
      finding: "CLUSTER NODES refused to this user: replicas per shard unknown",
      advice: skipAdvice("CLUSTER NODES"),
    }];
  }
  const serving = topology.filter((n) => isPrimary(n) && !failing(n) && n.slots.length > 0);
  const bare = serving.filter((primary) =>
    !topology!.some((n) => n.primary === primary.id && !isPrimary(n) && !failing(n) && n.linked)
  );
  const shards: Check = bare.length === 0
    ? {
      name: "shards",
      status: "ok",
      finding: `${plural(serving.length, "shard")}, each with a replica`,
    }
    : {
      name: "shards",
      status: "warn",
      finding: `${bare.length} of ${plural(serving.length, "shard")} without a healthy replica: ` +
        bare.map((p) => `${p.address} (slots ${p.slots.join(",")})`).join(", "),
      advice: "Add a replica to each (CLUSTER REPLICATE): if that primary fails, its slots, and " +
        "the sessions in them, are lost until it comes back.",
    };
  return [cluster, shards];
}
