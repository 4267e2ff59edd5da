/**
 * src/adapter/lucia_auth.d.ts declares lucia-auth's `LuciaError` for Deno (the one thing the library
 * imports from lucia-auth at runtime); this file holds that declaration to lucia-auth 1.8's own:
 * the class and its instances are assignable both ways, so it compiles only while they agree.
 *
 * @module
 */
import type { LuciaError as Real } from "lucia-auth";
import type { LuciaError as Declared } from "../../src/adapter/lucia_auth.d.ts";

/** Compiles only when `A` is assignable to `B`. */
function assignable<A, B>(..._witness: A extends B ? [] : [never]): void {}

assignable<typeof Real, typeof Declared>();
assignable<typeof Declared, typeof Real>();
assignable<Real, Declared>();
assignable<Declared, Real>();
assignable<ConstructorParameters<typeof Real>, ConstructorParameters<typeof Declared>>();
assignable<ConstructorParameters<typeof Declared>, ConstructorParameters<typeof Real>>();
