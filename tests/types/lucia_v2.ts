/**
 * The Lucia v2 entry's types against lucia 2.x's. lucia's `SessionSchema` includes the
 * application's `Lucia.DatabaseSessionAttributes`, a global namespace every Lucia v2 app declares;
 * without one, lucia's types turn into `any` and prove nothing. So this file declares one, as an
 * app does (with a session attribute), and is type-checked on its own (`npm test` runs
 * `deno check tests/types/lucia_v2.ts`): in one program with the other files, the declaration
 * would apply to them too.
 *
 * @module
 */
import type { InitializeAdapter, SessionAdapter, SessionSchema } from "lucia";
import { lucia } from "lucia";
import { createClient } from "redis4";
import redis, { type LuciaV2Session, type LuciaV2SessionAdapterFunction } from "../../v2.ts";

declare global {
  namespace Lucia {
    // deno-lint-ignore no-explicit-any
    type Auth = any;
    type DatabaseUserAttributes = Record<never, never>;
    type DatabaseSessionAttributes = { country: string };
  }
}

/** Compiles only when `A` is assignable to `B`. */
function assignable<A, B>(..._witness: A extends B ? [] : [never]): void {}

// redis() is what lucia 2's `adapter.session` takes (its session attributes inferred from there),
// and lucia accepts it there.
const session: InitializeAdapter<SessionAdapter> = redis(createClient());
type Attributes = Lucia.DatabaseSessionAttributes;
assignable<LuciaV2SessionAdapterFunction<Attributes>, InitializeAdapter<SessionAdapter>>();
lucia({ adapter: { user: session as never, session }, env: "PROD" });

// Sessions go both ways: Lucia's rows (attributes included) are ours to store, ours are Lucia's.
assignable<SessionSchema, LuciaV2Session<Attributes>>();
assignable<LuciaV2Session<Attributes>, SessionSchema>();

// The type-level checks fail where they should.
// @ts-expect-error: a session without its idle expiry is not one Lucia stores.
assignable<Omit<SessionSchema, "idle_expires">, LuciaV2Session<Attributes>>();
// @ts-expect-error: without the app's attribute, not Lucia's row.
assignable<LuciaV2Session, SessionSchema>();
