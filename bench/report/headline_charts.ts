/**
 * A run's charts (bench/report/charts.ts): throughput per operation against 2.1.2 and the raw
 * floor, and memory per live session, each when measured, from the tables' figures. The
 * research page draws its own (research/report/charts.ts) with the helpers exported here.
 *
 * @module
 */
import type { LoadResult } from "../load/types.ts";
import { SUBJECT_NAMES, type SubjectKey } from "../subjects.ts";
import { type BarChart, barChartSvg, type BarGroup } from "./charts.ts";
import { Figures } from "./figures.ts";
import { fmtInt, fmtNum, fmtRatio } from "./format.ts";
import type { RunData } from "./run_data.ts";

/** A chart of the run: its file name, the alt text of its image link, and the SVG. */
export interface ChartFile {
  /** File name, e.g. `throughput-c1.svg`. */
  name: string;
  alt: string;
  svg: string;
}

/** Every file name the charts can have (so that a re-render removes a stale one). */
export const CHART_NAMES = ["throughput-c1.svg", "throughput-c256.svg", "memory.svg"];

/** Subjects of the throughput charts, in series order. */
const THROUGHPUT_SUBJECTS: SubjectKey[] = ["ours", "v2", "raw"];

/**
 * A figure that was not measured (NaN) is no bar; nor is a negative one (a memory slope of a
 * smoke run's few sessions can be): the tables still show it.
 */
export function bar(value: number, text?: string): { value: number; text?: string } | undefined {
  return Number.isFinite(value) && value >= 0 ? { value, text } : undefined;
}

/** The series that have a bar somewhere, and the groups cut down to them. */
export function present(
  series: SubjectKey[],
  groups: BarGroup[],
): { series: string[]; groups: BarGroup[] } {
  const keep = series.map((_, i) => groups.some((g) => g.bars[i] !== undefined));
  return {
    series: series.filter((_, i) => keep[i]).map((s) => SUBJECT_NAMES[s]),
    groups: groups.map((g) => ({ ...g, bars: g.bars.filter((_, i) => keep[i]) })),
  };
}

/** The loopback run the throughput charts show: Node's when it ran, else the first. */
function loopbackRun(data: RunData): LoadResult | undefined {
  const runs = data.results.filter((r) => r.run === "loopback" && r.measurements.length);
  return runs.find((r) => r.runtime === "node") ?? runs[0];
}

/** ops/s per operation over node-redis at concurrency c: this adapter, 2.1.2, the raw floor. */
export function throughputChart(
  run: LoadResult,
  c: number,
  repeats: number,
  title: string,
  roundTrips?: (subject: SubjectKey, op: string) => number | undefined,
): BarChart | undefined {
  const f = new Figures(run.measurements);
  const groups: BarGroup[] = f.ops().map((op) => {
    const here = f.subjects("node-redis", op);
    return {
      label: op,
      bars: THROUGHPUT_SUBJECTS.map((s) => {
        if (!here.includes(s)) return undefined;
        const ops = f.med("node-redis", s, op, c, "opsPerSec");
        const parts = [fmtInt(ops)];
        const rt = roundTrips?.(s, op);
        if (rt !== undefined) parts.push(`${fmtNum(rt)} round trip${rt === 1 ? "" : "s"}`);
        if (s === "ours" && here.includes("v2")) {
          parts.push(`${fmtRatio(f.ratio(["node-redis", s], ["node-redis", "v2"], op, c))} 2.1.2`);
        }
        return bar(ops, parts.join(" · "));
      }),
    };
  });
  if (!groups.some((g) => g.bars.some((b) => b))) return undefined;
  return {
    title,
    subtitle: `operations per second on one connection, median of ${repeats} ` +
      `repeat${repeats === 1 ? "" : "s"}; longer is faster`,
    ...present(THROUGHPUT_SUBJECTS, groups),
    format: fmtInt,
  };
}

/** Bytes of Redis memory per live session, per subject, at each sessions-per-user count. */
function memoryChart(data: RunData) {
  const memory = data.results.flatMap((r) => r.memory).filter((m) => m.subject !== "oursV2");
  if (!memory.length) return undefined;
  const subjects: SubjectKey[] = ["ours", "v2", "raw", "connect"];
  const ks = [...new Set(memory.map((m) => m.k))];
  const groups: BarGroup[] = ks.map((k) => ({
    label: `${k} session${k === 1 ? "" : "s"} per user`,
    bars: subjects.map((s) => {
      const m = memory.find((x) => x.subject === s && x.k === k);
      return m ? bar(m.bytesPerSession, `${fmtInt(m.bytesPerSession)} B`) : undefined;
    }),
  }));
  const n = memory[0].sessions;
  return {
    title: "Redis memory per live session",
    subtitle: `bytes: the slope of used_memory from ${fmtInt(n / 10)} to ${fmtInt(n)} ` +
      "sessions (40-character ids); shorter is smaller",
    ...present(subjects, groups),
    format: fmtInt,
  };
}

/**
 * The charts of a run, each only when the run has its figures.
 *
 * @example
 * ```ts
 * // `data` is a run's JSON (bench/.runs/<name>.json), as bench/run.ts wrote it.
 * const charts = headlineCharts(data);
 * for (const c of charts) Deno.writeTextFileSync(`bench/charts/${c.name}`, c.svg);
 * ```
 */
export function headlineCharts(data: RunData): ChartFile[] {
  const out: ChartFile[] = [];
  const add = (name: string, alt: string, chart: BarChart | undefined) => {
    if (chart) out.push({ name, alt, svg: barChartSvg(chart) });
  };
  const run = loopbackRun(data);
  const where = run ? `${run.runtime} ${run.runtimeVersion}, node-redis, loopback` : "";
  for (const c of data.config.concurrencies) {
    if (!run) break;
    add(
      `throughput-c${c}.svg`,
      `Bar chart: operations per second of each session operation at concurrency ${c} ` +
        `(${where}), this adapter beside adapter 2.1.2 and the raw client`,
      throughputChart(
        run,
        c,
        data.config.repeats,
        `Throughput per operation at concurrency ${c} (${where})`,
      ),
    );
  }
  add(
    "memory.svg",
    "Bar chart: bytes of Redis memory per live session at 1 and 10 sessions per user, this " +
      "adapter beside adapter 2.1.2, the raw client and connect-redis",
    memoryChart(data),
  );
  return out;
}

/**
 * The "Charts" section of RESULTS.md: an image link per chart, `dir` relative to it;
 * `renderer` is the script that draws them.
 */
export function chartsSection(
  charts: ChartFile[],
  dir: string,
  renderer = "bench/report.ts",
): string[] {
  if (!charts.length) return [];
  return [
    "## Charts",
    "",
    "Drawn from this run's figures (the tables' medians and ratios), every bar of a chart on " +
    `one scale from zero; \`deno run -A ${renderer} --from <run.json>\` redraws them.`,
    "",
    ...charts.flatMap((c) => [`![${c.alt}](${dir}/${c.name})`, ""]),
  ];
}
