/**
 * Step 3 of scripts/build_npm.ts: `npm pack` of npm/, then publint and @arethetypeswrong/cli on
 * the tarball.
 *
 * @module
 */
import * as path from "node:path";
import { BIN, capture, fail, listFiles, OUT, run, step } from "./common.ts";
import type { DenoJson } from "./manifest.ts";

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

/** The documents the tarball must hold besides the built files. */
const DOCUMENTS = ["package.json", "README.md", "LICENSE", "CHANGELOG.md"];

/**
 * Packs npm/ into `dir` and checks the tarball: it must hold every entry's four files (ESM,
 * CommonJS and the declarations of each) and the documents, and every file of npm/ (the chunks
 * and declarations the entries load included), nothing else. Then publint and attw on it.
 * Returns the tarball's path and what was checked.
 */
export function pack(dir: string, deno: DenoJson): { tarball: string; results: string[] } {
  step("3. npm pack, publint, @arethetypeswrong/cli");
  const [packed] = JSON.parse(
    capture("npm", ["pack", "--json", "--pack-destination", dir], { cwd: OUT }),
  ) as PackResult[];
  const tarball = path.join(dir, packed.filename);
  console.log(
    `${packed.filename}: ${packed.entryCount} files, ${packed.size} bytes packed, ` +
      `${packed.unpackedSize} bytes unpacked`,
  );
  for (const f of packed.files) console.log(`  ${String(f.size).padStart(7)}  ${f.path}`);
  const shipped = new Set(packed.files.map((f) => f.path));
  const wanted = [
    ...DOCUMENTS,
    ...deno.entries.flatMap(({ name }) => [
      `esm/${name}.js`,
      `esm/${name}.d.ts`,
      `cjs/${name}.cjs`,
      `cjs/${name}.d.cts`,
    ]),
  ];
  const built = listFiles(OUT).map((f) => f.split(path.sep).join("/"));
  const missing = [...new Set([...wanted, ...built])].filter((f) => !shipped.has(f));
  if (missing.length > 0) fail(`the tarball lacks ${missing.join(", ")}`);
  const extra = [...shipped].filter((f) => !built.includes(f));
  if (extra.length > 0) fail(`the tarball holds files the build did not write: ${extra}`);

  run(path.join(BIN, "publint"), ["run", tarball, "--strict"]);
  run(path.join(BIN, "attw"), [tarball, "--profile", "strict", "--format", "table-flipped"]);
  return {
    tarball,
    results: [
      `tarball: ${packed.entryCount} files, ${packed.size} B packed, ` +
      `${packed.unpackedSize} B unpacked, every entry's ESM, CJS and declarations`,
      "publint --strict: no problem",
      `attw (node10, node16 CJS/ESM, bundler) on ${
        deno.entries.map((e) => `"${e.subpath}"`).join(" and ")
      }: no problem`,
    ],
  };
}
