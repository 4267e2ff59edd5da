/**
 * Step 3 of scripts/build_npm.ts: `npm pack` of npm/, then publint and @arethetypeswrong/cli on
 * the tarball.
 *
 * @module
 */
import * as path from "node:path";
import { BIN, capture, fail, OUT, run, step } from "./common.ts";

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

/** Files the tarball must hold. */
const WANTED = [
  "package.json",
  "README.md",
  "LICENSE",
  "CHANGELOG.md",
  "esm/mod.js",
  "esm/mod.d.ts",
  "cjs/mod.cjs",
  "cjs/mod.d.cts",
];

/** Packs npm/ into `dir` and checks the tarball; returns its path and what was checked. */
export function pack(dir: string): { tarball: string; results: string[] } {
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
  const missing = WANTED.filter((f) => !packed.files.some((p) => p.path === f));
  if (missing.length > 0) fail(`the tarball lacks ${missing.join(", ")}`);

  run(path.join(BIN, "publint"), ["run", tarball, "--strict"]);
  run(path.join(BIN, "attw"), [tarball, "--profile", "strict", "--format", "table-flipped"]);
  return {
    tarball,
    results: [
      `tarball: ${packed.entryCount} files, ${packed.size} B packed, ` +
      `${packed.unpackedSize} B unpacked`,
      "publint --strict: no problem",
      "attw (node10, node16 CJS/ESM, bundler): no problem",
    ],
  };
}
