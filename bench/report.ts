/**
 * Turns a benchmark run's JSON into bench/RESULTS.md and its charts (bench/charts/*.svg): every
 * figure comes from the run. The sections are built in bench/report/.
 *
 * Render only, from a run's JSON (nothing is run or measured):
 *
 *     deno run -A bench/report.ts --from bench/.runs/results.json --to bench/RESULTS.md
 *
 * writes the Markdown to `--to` (default: the JSON's path with `.md`) and the charts beside it,
 * in `charts/` for a file named RESULTS.md and in `<name>.charts/` for any other.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { clusterSection } from "../research/report/cluster.ts";
import { goalsSection } from "../research/report/goals.ts";
import { CHART_NAMES, chartsSection, headlineCharts } from "./report/headline_charts.ts";
import { introSection, methodSection } from "./report/method.ts";
import { migrateSection } from "../research/report/migrate.ts";
import type { RunData } from "./report/run_data.ts";
import { serverCostSections } from "../research/report/server_cost.ts";
import { serverMoreSections } from "../research/report/server_more.ts";
import {
  countsSection,
  memorySection,
  throughputSections,
  versionsSection,
} from "./report/sections.ts";
import { v2EntrySection } from "./report/v2_entry.ts";

export type { RunData };

/** How to render. */
export interface RenderOptions {
  /**
   * The charts' directory, relative to the Markdown file: with it, a "Charts" section links
   * each chart there (the files are written by {@linkcode writeReport}). Default: no charts.
   */
  chartsDir?: string;
}

/**
 * Renders RESULTS.md.
 *
 * @example
 * ```ts
 * const markdown = render(JSON.parse(Deno.readTextFileSync("bench/.runs/results.json")));
 * ```
 */
export function render(data: RunData, options: RenderOptions = {}): string {
  return [
    ...introSection(data),
    ...(options.chartsDir === undefined
      ? []
      : chartsSection(headlineCharts(data), options.chartsDir)),
    ...methodSection(data),
    ...goalsSection(data),
    ...(data.server ? serverCostSections(data.server) : []),
    ...(data.server ? serverMoreSections(data.server) : []),
    ...countsSection(data),
    ...memorySection(data),
    ...v2EntrySection(data),
    ...clusterSection(data.cluster),
    ...migrateSection(data.migrate),
    ...throughputSections(data),
    ...versionsSection(data),
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
 * writeReport(JSON.parse(Deno.readTextFileSync("bench/.runs/results.json")), "bench/RESULTS.md");
 * ```
 */
export function writeReport(data: RunData, markdownPath: string): string[] {
  const rel = chartsDirOf(markdownPath);
  const dir = join(dirname(markdownPath), rel);
  const charts = headlineCharts(data);
  const written: string[] = [];
  if (charts.length) mkdirSync(dir, { recursive: true });
  for (const name of CHART_NAMES) {
    const chart = charts.find((c) => c.name === name);
    const path = join(dir, name);
    if (chart) {
      writeFileSync(path, chart.svg);
      written.push(path);
    } else if (existsSync(path)) rmSync(path);
  }
  writeFileSync(markdownPath, render(data, { chartsDir: rel }));
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
        "`deno run -A bench/report.ts --from bench/.runs/results.json --to bench/RESULTS.md`\n",
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
