/**
 * The contract suite, run by Node against the built npm package (not against `mod.ts`), over
 * two setups of tests/helpers/setups.ts: node-redis 4 and ioredis 5.
 *
 * scripts/build_npm.ts bundles this file twice with esbuild into the throwaway consumer project
 * that installed the packed tarball: once as an ES module (the package is loaded through its
 * `import` condition) and once as CommonJS (through `require`). In both bundles every import of
 * `mod.ts`, here and in tests/, becomes an import of `@lucia-auth/adapter-session-redis` (and one
 * of `v2.ts` of its `/v2` subpath), and `redis4`/`ioredis5` become the consumer's
 * `redis`/`ioredis`.
 *
 * @module
 */
import { contractSuite } from "../../tests/contract/suite.ts";
import { setupNamed } from "../../tests/helpers/setups.ts";

// build_npm.ts replaces the marker with "import" or "require" in each bundle.
const marker = "__NPM_ENTRY__";
const entry = marker.startsWith("__") ? "mod.ts" : marker;

for (const setup of [setupNamed("node-redis 4"), setupNamed("ioredis 5")]) {
  contractSuite(`${setup.name} (npm package via ${entry})`, (server) => setup.open(server));
}
