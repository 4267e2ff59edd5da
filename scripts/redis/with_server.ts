/**
 * Runs a command with a private redis-server beside it: starts one (scripts/redis/server.ts, or
 * uses `REDIS_URL` when set), runs the command with `REDIS_URL` set to it, stops the server, and
 * exits with the command's exit code. The test command runs the doc examples this way, so that
 * they connect to a Redis of their own.
 *
 * Usage: deno run -A scripts/redis/with_server.ts <command> [args…]
 *
 * @module
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { startRedisServer } from "./server.ts";

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error("Usage: with_server.ts <command> [args…]");
  process.exit(2);
}
const server = await startRedisServer();
const code = await new Promise<number>((resolve) => {
  const child = spawn(command, args, {
    stdio: "inherit",
    env: { ...process.env, REDIS_URL: server.url },
  });
  child.on("error", (error) => {
    console.error(String(error));
    resolve(127);
  });
  child.on("close", (exit) => resolve(exit ?? 1));
});
await server.stop();
process.exit(code);
