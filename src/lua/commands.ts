/**
 * Every command the adapter's scripts may run, on a single server and on a Redis Cluster, taken
 * from the scripts' own definitions: the list docs/server.md's ACL section gives and `doctor`
 * checks (`tests/lua_scripts.test.ts` holds the README to it).
 *
 * @module
 */
import { CLUSTER_SCRIPTS } from "./cluster.ts";
import { SCRIPTS } from "./single.ts";

/** The commands, sorted. @internal */
export const SCRIPT_COMMANDS: readonly string[] = [
  ...new Set([...SCRIPTS, ...Object.values(CLUSTER_SCRIPTS)].flatMap((s) => s.allCommands)),
].sort();
