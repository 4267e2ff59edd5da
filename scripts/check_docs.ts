/**
 * Checks what `deno doc --lint` does not: every export of `mod.ts` has an `@example`, and the
 * module doc too. (`deno doc --lint` already requires JSDoc on every export and every member of
 * exported interfaces and classes; `deno test --doc` runs the examples.)
 *
 *     deno run -A scripts/check_docs.ts     # part of `deno task doc`
 *
 * @module
 */

import { CLIENTS } from "../src/client.ts";

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

const output = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--json", "mod.ts"],
  stdout: "piped",
  stderr: "null",
}).output();
if (!output.success) {
  console.error("deno doc --json mod.ts failed");
  Deno.exit(1);
}
const doc = JSON.parse(new TextDecoder().decode(output.stdout)) as DocJson;
const mod = Object.entries(doc.nodes).find(([url]) => url.endsWith("/mod.ts"))?.[1];
if (mod === undefined) {
  console.error("deno doc --json mod.ts: no node for mod.ts");
  Deno.exit(1);
}

const hasExample = (jsDoc: JsDoc | undefined) =>
  (jsDoc?.tags ?? []).some((tag) => tag.kind === "example");

const missing: string[] = [];
if (!hasExample(mod.module_doc)) missing.push("the module doc of mod.ts");
for (const symbol of mod.symbols) {
  // `export { redis as default }` is a reference to a documented symbol.
  const own = symbol.declarations.filter((d) => d.kind !== "reference");
  if (own.length > 0 && !own.some((d) => hasExample(d.jsDoc))) missing.push(symbol.name);
}

if (missing.length > 0) {
  console.error(`Exports of mod.ts without an @example: ${missing.join(", ")}`);
  Deno.exit(1);
}

// The README's table of clients names every row of the table of clients in src/client.ts.
const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const clientTable = readme.slice(readme.indexOf("## Redis clients"));
const unlisted = CLIENTS.filter(({ name }) =>
  !clientTable.split("\n").some((line) => line.startsWith(`| ${name}`))
);
if (unlisted.length > 0) {
  console.error(
    `Clients of src/client.ts without a row in the README's table of clients: ${
      unlisted.map(({ name }) => name).join(", ")
    }`,
  );
  Deno.exit(1);
}
console.log(
  `@example on the module doc and on all ${mod.symbols.length} exports of mod.ts; ` +
    `all ${CLIENTS.length} clients of src/client.ts in the README's table of clients`,
);
