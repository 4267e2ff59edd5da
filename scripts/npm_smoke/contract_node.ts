/**
 * The contract suite, run by Node against the built npm package (not against `mod.ts`).
 *
 * scripts/build_npm.ts bundles this file twice with esbuild into the throwaway consumer project
 * that installed the packed tarball: once as an ES module (the package is loaded through its
 * `import` condition) and once as CommonJS (through `require`). In both bundles every import of
 * `mod.ts`, here and in tests/, becomes an import of `@lucia-auth/adapter-session-redis`, and
 * `redis4`/`ioredis5` become the consumer's `redis`/`ioredis`.
 *
 * @module
 */
import { Redis } from "ioredis5";
import { createClient } from "redis4";
import { contractSuite } from "../../tests/contract.ts";

// build_npm.ts replaces the marker with "import" or "require" in each bundle.
const marker = "__NPM_ENTRY__";
const entry = marker.startsWith("__") ? "mod.ts" : marker;

contractSuite(`node-redis 4 (npm package via ${entry})`, async (server) => {
  const client = createClient({ url: server.url });
  await client.connect();
  return { client, close: async () => void await client.quit() };
});

contractSuite(`ioredis 5 (npm package via ${entry})`, async (server) => {
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return { client, close: async () => void await client.quit() };
});
