/**
 * Checks what `deno doc --lint` does not: every export of `mod.ts`, `v2.ts` and `cli.ts` has an
 * `@example`, and the module doc too; docs/clients.md's table of clients lists every client; the
 * README states the Node versions once, as the npm package's `engines`, and the other pages leave
 * them to it; every relative link of the README, CONTRIBUTING.md, tests/README.md and docs/*.md
 * names a file that exists, and a heading that exists when it names one in a Markdown file.
 * (`deno doc --lint` already requires JSDoc on every export and every member of exported
 * interfaces and classes; `deno test --doc` runs the examples.)
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

const ROOT = new URL("../../", import.meta.url);
const read = (file: string) => Deno.readTextFile(new URL(file, ROOT));
const DOCS = [...Deno.readDirSync(new URL("docs/", ROOT))]
  .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
  .map((entry) => `docs/${entry.name}`)
  .sort();
const PAGES = ["README.md", "CONTRIBUTING.md", "tests/README.md", ...DOCS];
const text = Object.fromEntries(
  await Promise.all(PAGES.map(async (page) => [page, await read(page)] as const)),
);

// docs/clients.md's table of clients names every row of the table of clients in
// src/clients/table.ts.
const clientPage = text["docs/clients.md"] ?? "";
const unlisted = CLIENTS.filter(({ name }) =>
  !clientPage.split("\n").some((line) => line.startsWith(`| ${name}`))
);
if (unlisted.length > 0) {
  console.error(
    `Clients of src/clients/table.ts without a row in docs/clients.md's table of clients: ${
      unlisted.map(({ name }) => name).join(", ")
    }`,
  );
  Deno.exit(1);
}

// The Node versions are stated once, in the README, as the npm package's `engines` says them.
const statingNode = PAGES.map((page) => [page, text[page].split(ENGINES.node).length - 1] as const);
const inReadme = statingNode[0][1];
const elsewhere = statingNode.filter(([page, n]) => page !== "README.md" && n > 0);
if (inReadme !== 1 || elsewhere.length > 0) {
  console.error(
    `The README must state the Node versions once, as package.json's engines.node ` +
      `(${ENGINES.node}), and no other page at all; the README does ${inReadme} times` +
      elsewhere.map(([page, n]) => `, ${page} ${n}`).join(""),
  );
  Deno.exit(1);
}

/** Lines of a Markdown page outside fenced code blocks. */
function prose(markdown: string): string[] {
  let fence = false;
  return markdown.split("\n").filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      return false;
    }
    return !fence;
  });
}

/** The anchors GitHub gives a page's headings (lower case, punctuation dropped, `-` for spaces). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1].toLowerCase().replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

// Every relative link of the pages names a file that exists, and a heading that exists.
const broken: string[] = [];
const anchorCache = new Map<string, Set<string>>();
for (const page of PAGES) {
  const lines = prose(text[page]);
  for (const line of lines) {
    for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      const [file, anchor] = target.split("#", 2);
      const url = file === "" ? new URL(page, ROOT) : new URL(file, new URL(page, ROOT));
      const where = decodeURIComponent(url.pathname.slice(ROOT.pathname.length));
      let exists = true;
      try {
        Deno.statSync(url);
      } catch {
        exists = false;
      }
      if (!exists) {
        broken.push(`${page}: ${target} (no ${where})`);
        continue;
      }
      if (anchor === undefined || !where.endsWith(".md")) continue;
      if (!anchorCache.has(where)) anchorCache.set(where, anchors(await read(where)));
      if (!anchorCache.get(where)!.has(anchor)) {
        broken.push(`${page}: ${target} (no heading #${anchor} in ${where})`);
      }
    }
  }
}
if (broken.length > 0) {
  console.error(`Broken relative links:\n  ${broken.join("\n  ")}`);
  Deno.exit(1);
}

console.log(
  `@example on the module docs and on all exports of ${
    ENTRIES.map((entry, i) => `${entry} (${found[i].exports})`).join(" and ")
  }; all ${CLIENTS.length} clients of src/clients/table.ts in docs/clients.md's table of clients; ` +
    `Node ${ENGINES.node} stated once, in the README; the relative links of ${PAGES.length} pages resolve`,
);
