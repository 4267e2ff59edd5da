/**
 * The package's declarations alone: tsc --strict compiles this with lib ES2022 only (no DOM, no
 * @types/node) and skipLibCheck off. Copied like consumer.ts.
 *
 * @module
 */
import redis, { type RedisClient, type SessionSchema } from "../../mod.ts";

declare const client: RedisClient;
const session: SessionSchema = { id: "s", user_id: "u", active_expires: 1, idle_expires: 2n };
export const done: Promise<void> = redis(client)().setSession(session);
