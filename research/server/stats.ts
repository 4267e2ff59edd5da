/**
 * What the server modes read off redis-server: `INFO commandstats` (µs per command, as Redis
 * times each command's execution) and the main thread's CPU time from Linux's schedstat.
 *
 * @module
 */
import { readFileSync } from "node:fs";

/** One `cmdstat_<name>` line. */
export interface CommandStat {
  calls: number;
  usec: number;
}

/** Parses `INFO commandstats`: command name (lower case, `a|b` for subcommands) → stats. */
export function parseCommandStats(text: string): Map<string, CommandStat> {
  const out = new Map<string, CommandStat>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (m) out.set(m[1], { calls: Number(m[2]), usec: Number(m[3]) });
  }
  return out;
}

/** What a subject sent at top level, priced from commandstats. */
export interface TopLevel {
  /** µs of Redis for the commands the subject sent (scripts' inner commands not added again). */
  usec: number;
  /** Per top-level command name: calls the subject sent, calls Redis counted, µs counted. */
  commands: Record<string, { sent: number; calls: number; usec: number }>;
}

/**
 * Sums the µs of the commands a subject sent at top level (`sent`: name → calls, from the
 * counting wrapper). The figure of an `EVALSHA` already includes the commands its script ran,
 * which commandstats also lists on their own lines: those lines are not added. When a command
 * name was both sent at top level and run inside scripts (a `GET` beside a script that runs
 * `GET`, in the mix), its µs are shared out by calls: the top-level share is
 * `usec × sent ÷ calls`.
 */
export function topLevel(stats: Map<string, CommandStat>, sent: Map<string, number>): TopLevel {
  const commands: TopLevel["commands"] = {};
  let usec = 0;
  for (const [name, count] of sent) {
    const stat = stats.get(name) ?? { calls: 0, usec: 0 };
    if (stat.calls < count) {
      throw new Error(
        `commandstats counted ${stat.calls} calls of ${name}, the subject sent ${count}`,
      );
    }
    const share = stat.calls === 0 ? 0 : stat.usec * count / stat.calls;
    commands[name] = { sent: count, calls: stat.calls, usec: share };
    usec += share;
  }
  return { usec, commands };
}

/**
 * CPU time (ns) the main thread of process `pid` has used, the first field of
 * `/proc/<pid>/task/<pid>/schedstat`: reading, parsing, executing and replying included. NaN
 * where there is no such file (not Linux, or no pid).
 */
export function threadCpuNs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[0]);
  } catch {
    return NaN;
  }
}
