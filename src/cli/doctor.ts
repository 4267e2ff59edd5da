/**
 * `doctor`: checks the server (every primary with `--cluster`) for what the adapter needs and
 * what makes sessions unsafe. Each check is ok, warn or fail, with one line of advice; a fail
 * exits with 1. Writes nothing. The checks are in doctor_checks.ts.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { type Context, type Node, versionIn } from "./context.ts";
import {
  answers,
  type Check,
  clusterChecks,
  connectedUser,
  evictionCheck,
  permissionsCheck,
  persistenceCheck,
  replicationCheck,
  type Status,
  versionCheck,
} from "./doctor_checks.ts";

const RANK: Record<Status, number> = { ok: 0, skip: 1, warn: 2, fail: 3 };

/** What `doctor --json` prints. */
export interface DoctorReport {
  /** The server (its password hidden). */
  readonly url: string;
  /** Its version, as `7.0.15`. */
  readonly version: string;
  /** True when no check failed. */
  readonly ok: boolean;
  /** The checks, in order. */
  readonly checks: readonly Check[];
}

/** The version from `INFO server` of the first node that gives it (context's first may be down). */
async function versionOf(context: Context, nodes: readonly Node[]): Promise<readonly number[]> {
  if ((context.version[0] ?? 0) > 0) return context.version;
  for (const node of nodes) {
    const info = await node.send(["INFO", "server"]).catch(() => null);
    const found = versionIn(info);
    if (found !== undefined) return found;
  }
  return context.version;
}

/**
 * The checks: the version and the permissions once (as the adapter's connection sees them), the
 * others on every primary that answers, keeping the worst outcome (named by its node on a
 * cluster); with `--cluster`, the cluster's state and its shards' replicas, a node that does not
 * answer failing the first.
 */
async function runChecks(context: Context, replicas: number | undefined): Promise<Check[]> {
  const reached = await Promise.all(
    context.nodes.map(async (node) => [node, await answers(node)] as const),
  );
  const unreachable = reached.filter((r): r is readonly [Node, string] => r[1] !== true);
  const nodes = reached.filter(([, ok]) => ok === true).map(([node]) => node);
  const perNode = await Promise.all(nodes.map(async (node) => {
    const checks = [
      await evictionCheck(node),
      await persistenceCheck(node),
      await replicationCheck(node, replicas),
    ];
    return checks.map((c) =>
      context.nodes.length > 1 && c.status !== "ok"
        ? { ...c, finding: `${node.address}: ${c.finding}` }
        : c
    );
  }));
  const worst = (perNode[0] ?? []).map((_, i) =>
    perNode.map((checks) => checks[i]).reduce((a, b) => RANK[b.status] > RANK[a.status] ? b : a)
  );
  const version = await versionOf(context, nodes);
  const user = nodes.length > 0 ? await connectedUser(nodes[0], context.url) : "default";
  return [
    versionCheck(version),
    ...worst,
    await permissionsCheck(context.connection, context.keys, version, user),
    ...(context.cluster ? await clusterChecks(context.nodes, unreachable) : []),
  ];
}

/** The report as text: one line per check, and its advice under it. */
export function renderDoctor(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const version = report.version === "0" ? "(version unknown)" : report.version;
  const lines = [`Redis ${version} at ${report.url}`];
  for (const c of report.checks) {
    lines.push(`  ${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.finding}`);
    if (c.advice !== undefined && c.status !== "ok") {
      lines.push(`  ${"".padEnd(4)}  ${"".padEnd(width)}  → ${c.advice}`);
    }
  }
  const failed = report.checks.filter((c) => c.status === "fail").length;
  const warned = report.checks.filter((c) => c.status === "warn").length;
  const skipped = report.checks.filter((c) => c.status === "skip").length;
  lines.push(
    `${failed} failed, ${warned} warning${warned === 1 ? "" : "s"}` +
      (skipped > 0 ? `, ${skipped} skipped (not allowed to this user)` : ""),
    "",
  );
  return lines.join("\n");
}

/** The `doctor` command. */
export const doctorCommand: Command = {
  name: "doctor",
  summary:
    "Check the server's version, eviction policy, persistence, replication, ACL and cluster state",
  usage: "doctor [--replicas N] [--json]",
  description: `
Checks the server (every primary with --cluster) for what the adapter needs and what makes
sessions unsafe:
  version      Redis 6.2 or later
  eviction     maxmemory-policy noeviction (any other policy may evict a user's index, and
               signing the user out everywhere then misses sessions)
  persistence  RDB snapshots alone bring revoked sessions back after a restart; use AOF
  replication  connected replicas and their lag, min-replicas-to-write (warns on a primary
               with replicas without it: a failover can bring revoked sessions back); fails
               with fewer connected replicas than --replicas N (the durability option's
               replicas), or on a replica
  permissions  the ACL allows the commands the adapter sends and those its scripts run, on
               the two namespaces (every refused one listed; the advice names the connected
               user, from ACL WHOAMI or the URL)
  cluster      with --cluster: every primary answers, CLUSTER INFO says ok and every slot
               is served, and CLUSTER NODES flags no node fail or fail? (fails otherwise)
  shards       with --cluster: every primary serving slots has a healthy replica (warns)
Each check prints ok, warn, fail or skip with one line of advice; skip when this user may not
run what the check needs (CONFIG GET, CLUSTER NODES: an application's ACL, as docs/server.md
recommends it, refuses them), so run doctor as an administrator for those. Exits with 1 when a
check fails.
With --json: { url, version, ok, checks: [{ name, status, finding, advice }] }. Writes nothing.`,
  options: [{
    name: "replicas",
    kind: "integer",
    value: "<n>",
    help: "fail unless every primary has at least n connected replicas (durability.replicas)",
    min: 0,
  }],
  positionals: { name: "argument", min: 0, max: 0 },
  async run(context, args) {
    const replicas = args.options.replicas as number | undefined;
    const checks = await runChecks(context, replicas);
    const report: DoctorReport = {
      url: context.url,
      version: context.version.join("."),
      ok: checks.every((c) => c.status !== "fail"),
      checks,
    };
    context.io.stdout(
      context.json ? JSON.stringify(report, null, 2) + "\n" : renderDoctor(report),
    );
    return report.ok ? 0 : 1;
  },
};
