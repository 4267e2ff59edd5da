/**
 * Renders a run's JSON into Markdown and charts, measuring nothing (sections: bench/report/):
 * `deno run -A bench/report.ts --from bench/RESULTS.json [--to FILE.md]` (default: the JSON's
 * path with `.md`; charts in `charts/` beside a RESULTS.md, else in `<name>.charts/`). The
 * research parts of a JSON (server, cluster, migrate, latency) are research/report.ts's.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { CHART_NAMES, chartsSection, headlineCharts } from "./report/headline_charts.ts";
import { introSection, methodSection } from "./report/method.ts";
import type { RunData } from "./report/run_data.ts";
import {
  countsSection,
  memorySection,
  rerunSection,
  throughputSections,
  versionsSection,
} from "./report/sections.ts";

export type { RunData };

/**
 * Renders RESULTS.md; with `chartsDir` (relative to it), a "Charts" section links each chart
 * there (the files are written by {@linkcode writeReport}).
 *
 * @example
 * ```ts
 * const markdown = render(JSON.parse(Deno.readTextFileSync("bench/RESULTS.json")));
 * ```
 */
export function render(data: RunData, chartsDir?: string): string {
  return [
    ...introSection(data),
    ...(chartsDir === undefined ? [] : chartsSection(headlineCharts(data), chartsDir)),
    ...methodSection(data),
    ...countsSection(data),
    ...memorySection(data),
    ...throughputSections(data),
    ...versionsSection(data),
    ...rerunSection(),
  ].join("\n");
}

/** The charts' directory of a Markdown file, relative to it: `charts` or `<name>.charts`. */
export function chartsDirOf(markdownPath: string): string {
  const name = basename(markdownPath);
  return name === "RESULTS.md" ? "charts" : `${name.replace(/\.md$/, "")}.charts`;
}

/**
 * Writes the Markdown and its charts (see {@linkcode chartsDirOf}); removes a chart file of an
 * earlier render that this run has no figures for. Returns the paths written.
 *
 * @example
 * ```ts
 * writeReport(JSON.parse(Deno.readTextFileSync("bench/RESULTS.json")), "bench/RESULTS.md");
 * ```
 */
export function writeReport(data: RunData, markdownPath: string): string[] {
  return writeWithCharts(
    markdownPath,
    headlineCharts(data),
    CHART_NAMES,
    (rel) => render(data, rel),
  );
}

/**
 * Writes the Markdown `markdown(chartsDir)` to `markdownPath` and the `charts` beside it (in
 * {@linkcode chartsDirOf}), deleting any of `names` this run drew no chart for. Returns the paths
 * written. The bench's report and research's share it.
 */
export function writeWithCharts(
  markdownPath: string,
  charts: readonly { name: string; svg: string }[],
  names: readonly string[],
  markdown: (chartsDir: string) => string,
): string[] {
  const rel = chartsDirOf(markdownPath);
  const dir = join(dirname(markdownPath), rel);
  const written: string[] = [];
  if (charts.length) mkdirSync(dir, { recursive: true });
  for (const name of names) {
    const chart = charts.find((c) => c.name === name);
    const path = join(dir, name);
    if (chart) {
      writeFileSync(path, chart.svg);
      written.push(path);
    } else if (existsSync(path)) rmSync(path);
  }
  writeFileSync(markdownPath, markdown(rel));
  return [markdownPath, ...written];
}

function option(name: string): string | undefined {
  const args = process.argv;
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i].includes("=") ? args[i].slice(args[i].indexOf("=") + 1) : args[i + 1];
}

if (import.meta.main) {
  const from = option("from");
  if (!from || !from.endsWith(".json")) {
    process.stderr.write(
      "Cannot render: give the run's JSON, e.g. " +
        "`deno run -A bench/report.ts --from bench/RESULTS.json --to bench/RESULTS.md`\n",
    );
    process.exit(1);
  }
  const to = option("to") ?? from.replace(/\.json$/, ".md");
  if (!to.endsWith(".md")) {
    process.stderr.write(`Cannot render to ${to}: --to must name a .md file\n`);
    process.exit(1);
  }
  for (const path of writeReport(JSON.parse(readFileSync(from, "utf8")), to)) {
    process.stdout.write(`wrote ${path}\n`);
  }
}
