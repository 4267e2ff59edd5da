/**
 * The package's declarations alone, both entries: tsc --strict compiles this with lib ES2022
 * only (no DOM, no @types/node) and skipLibCheck off. Copied like consumer.ts.
 *
 * @module
 */
import redis, { type RedisClient, type SessionSchema } from "../../mod.ts";
import redisV2, { type LuciaV2Session } from "../../v2.ts";

declare const client: RedisClient;
const session: SessionSchema = { id: "s", user_id: "u", active_expires: 1, idle_expires: 2n };
export const done: Promise<void> = redis(client)().setSession(session);
const v2: LuciaV2Session = { id: "s", user_id: "u", active_expires: 1, idle_expires: 2 };
export const doneV2: Promise<void> = redisV2(client)().setSession(v2);
