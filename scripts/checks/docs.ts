/**
 * Checks what `deno doc --lint` does not: every export of `mod.ts`, `v2.ts` and `cli.ts` has an `@example`, and the
 * module doc too; the README's table of clients lists every client; the README states the Node
 * versions once, as the npm package's `engines`. (`deno doc --lint` already requires JSDoc on every export and every member of
 * exported interfaces and classes; `deno test --doc` runs the examples.)
 *
 *     deno run -A scripts/checks/docs.ts     # part of `deno task doc`
 *
 * @module
 */

import { CLIENTS } from "../../src/clients/table.ts";
import { ENGINES } from "../build_npm/manifest.ts";

interface JsDoc {
  doc?: string;
  tags?: { kind: string }[];
}

interface DocNode {
  name: string;
  declarations: { kind: string; jsDoc?: JsDoc }[];
}

interface DocJson {
  nodes: Record<string, { module_doc?: JsDoc; symbols: DocNode[] }>;
}

const hasExample = (jsDoc: JsDoc | undefined) =>
  (jsDoc?.tags ?? []).some((tag) => tag.kind === "example");

/** The exports of an entry point (and its module doc) that have no `@example`; their count. */
async function withoutExample(entry: string): Promise<{ missing: string[]; exports: number }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", entry],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!output.success) {
    console.error(`deno doc --json ${entry} failed`);
    Deno.exit(1);
  }
  const doc = JSON.parse(new TextDecoder().decode(output.stdout)) as DocJson;
  const mod = Object.entries(doc.nodes).find(([url]) => url.endsWith(`/${entry}`))?.[1];
  if (mod === undefined) {
    console.error(`deno doc --json ${entry}: no node for ${entry}`);
    Deno.exit(1);
  }
  const missing: string[] = [];
  if (!hasExample(mod.module_doc)) missing.push(`the module doc of ${entry}`);
  for (const symbol of mod.symbols) {
    // `export { redis as default }` is a reference to a documented symbol.
    const own = symbol.declarations.filter((d) => d.kind !== "reference");
    if (own.length > 0 && !own.some((d) => hasExample(d.jsDoc))) {
      missing.push(`${symbol.name} (${entry})`);
    }
  }
  return { missing, exports: mod.symbols.length };
}

const ENTRIES = ["mod.ts", "v2.ts", "cli.ts"];
const found = await Promise.all(ENTRIES.map(withoutExample));
const missing = found.flatMap((f) => f.missing);
if (missing.length > 0) {
  console.error(`Exports without an @example: ${missing.join(", ")}`);
  Deno.exit(1);
}

// The README's table of clients names every row of the table of clients in src/clients/table.ts.
const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
const clientTable = readme.slice(readme.indexOf("## Redis clients"));
const unlisted = CLIENTS.filter(({ name }) =>
  !clientTable.split("\n").some((line) => line.startsWith(`| ${name}`))
);
if (unlisted.length > 0) {
  console.error(
    `Clients of src/clients/table.ts without a row in the README's table of clients: ${
      unlisted.map(({ name }) => name).join(", ")
    }`,
  );
  Deno.exit(1);
}
// The Node versions are stated once, as the npm package's `engines` says them.
const nodeRange = readme.split(ENGINES.node).length - 1;
if (nodeRange !== 1) {
  console.error(
    `The README must state the Node versions once, as package.json's engines.node ` +
      `(${ENGINES.node}); it does ${nodeRange} times`,
  );
  Deno.exit(1);
}

console.log(
  `@example on the module docs and on all exports of ${
    ENTRIES.map((entry, i) => `${entry} (${found[i].exports})`).join(" and ")
  }; all ${CLIENTS.length} clients of src/clients/table.ts in the README's table of clients; ` +
    `Node ${ENGINES.node} stated once`,
);
