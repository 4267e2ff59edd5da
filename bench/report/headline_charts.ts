/**
 * The headline comparisons of a run as charts (bench/report/charts.ts): throughput per
 * operation against 2.1.2 and the raw floor, what each operation costs Redis against 2.1.2,
 * memory per live session, and throughput with ~1 ms added to every round trip. Each is drawn
 * only when the run measured it; the figures are the tables' (same medians, same ratios).
 *
 * @module
 */
import type { LoadResult } from "../load/types.ts";
import { SUBJECT_NAMES, type SubjectKey } from "../subjects.ts";
import { type BarChart, barChartSvg, type BarGroup } from "./charts.ts";
import { Figures } from "./figures.ts";
import { fmtInt, fmtMs, fmtNum, fmtRatio } from "./format.ts";
import type { RunData } from "./run_data.ts";
import { type Measure, ServerFigures } from "../../research/report/server_data.ts";

/** A chart of the run: its file name, the alt text of its image link, and the SVG. */
export interface ChartFile {
  /** File name, e.g. `throughput-c1.svg`. */
  name: string;
  alt: string;
  svg: string;
}

/** Every file name the charts can have (so that a re-render removes a stale one). */
export const CHART_NAMES = [
  "throughput-c1.svg",
  "throughput-c256.svg",
  "redis-cost-commandstats.svg",
  "redis-cost-cpu.svg",
  "memory.svg",
  "round-trips.svg",
];

/** Subjects of the throughput charts, in series order. */
const THROUGHPUT_SUBJECTS: SubjectKey[] = ["ours", "v2", "raw"];

/**
 * A figure that was not measured (NaN) is no bar; nor is a negative one (a memory slope of a
 * smoke run's few sessions can be): the tables still show it.
 */
function bar(value: number, text?: string) {
  return Number.isFinite(value) && value >= 0 ? { value, text } : undefined;
}

/** The series that have a bar somewhere, and the groups cut down to them. */
function present(series: SubjectKey[], groups: BarGroup[]) {
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
function throughputChart(
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

/** µs per request that Redis spends, this adapter against 2.1.2, by one measure. */
function costChart(data: RunData, measure: Measure, title: string, subtitle: string) {
  if (!data.server?.cost.length) return undefined;
  const f = new ServerFigures(data.server);
  const subjects: SubjectKey[] = ["ours", "v2"];
  const groups: BarGroup[] = f.costOps()
    .filter((op) => f.costSubjects(op).includes("ours") && f.costSubjects(op).includes("v2"))
    .map((op) => ({
      label: op === "mix" ? "Lucia-like mix" : op,
      bars: subjects.map((s) => {
        const us = f.per(op, s, measure);
        const text = s === "ours"
          ? `${fmtNum(us, 2)} µs · ${fmtRatio(f.ratio(op, "ours", "v2", measure))} 2.1.2`
          : `${fmtNum(us, 2)} µs`;
        return bar(us, text);
      }),
    }));
  if (!groups.some((g) => g.bars.some((b) => b))) return undefined;
  const { cost } = f.repeats();
  return {
    title,
    subtitle: `${subtitle}, median of ${cost} repeats; shorter is cheaper`,
    ...present(subjects, groups),
    format: (n: number) => fmtNum(n, 2),
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

/** The commands-per-operation counter's round trips of a subject's operation (node-redis). */
function roundTripsOf(data: RunData) {
  const counts = data.results.flatMap((r) => r.counts).filter((c) => c.client === "node-redis");
  return (subject: SubjectKey, op: string) =>
    counts.find((c) => c.subject === subject && c.op === op)?.roundTrips;
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
  const regime = data.server?.costRegimes[0];
  const conns = regime
    ? `${regime.connections} connections, ${regime.concurrency} requests in flight`
    : "";
  add(
    "redis-cost-commandstats.svg",
    "Bar chart: Redis commandstats microseconds per request of each operation, this adapter " +
      "beside adapter 2.1.2",
    costChart(
      data,
      "usec",
      "Redis time per request: commandstats µs",
      `the µs Redis timed for the commands sent (${conns})`,
    ),
  );
  add(
    "redis-cost-cpu.svg",
    "Bar chart: redis-server CPU microseconds per request of each operation (reading, " +
      "parsing and replying included), this adapter beside adapter 2.1.2",
    costChart(
      data,
      "cpu",
      "Redis CPU per request: main-thread µs",
      `commands plus reading, parsing and replying (${conns})`,
    ),
  );
  add(
    "memory.svg",
    "Bar chart: bytes of Redis memory per live session at 1 and 10 sessions per user, this " +
      "adapter beside adapter 2.1.2, the raw client and connect-redis",
    memoryChart(data),
  );
  const lat = data.results.find((r) => r.run === "latency" && r.measurements.length);
  if (lat && data.latency) {
    const added = fmtMs(data.latency.proxied.p50 - data.latency.direct.p50);
    const c = data.config.concurrencies[0];
    add(
      "round-trips.svg",
      `Bar chart: operations per second at concurrency ${c} with ${added} ms added to every ` +
        "round trip, this adapter beside adapter 2.1.2 and the raw client, with each " +
        "operation's round trips",
      throughputChart(
        lat,
        c,
        data.config.latencyRepeats,
        `+${added} ms per round trip, concurrency ${c} (${lat.runtime} ${lat.runtimeVersion}, ` +
          "node-redis, delay proxy)",
        roundTripsOf(data),
      ),
    );
  }
  return out;
}

/** The "Charts" section of RESULTS.md: an image link per chart, `dir` relative to it. */
export function chartsSection(charts: ChartFile[], dir: string): string[] {
  if (!charts.length) return [];
  return [
    "## Charts",
    "",
    "Drawn from this run's figures, the same medians and ratios as the tables below (where " +
    "they are all); every bar of a chart is on one scale from zero. The SVGs are written with " +
    "this file by the report renderer (bench/report/charts.ts); " +
    "`deno run -A bench/report.ts --from <run.json> --to <file.md>` redraws both from a run's " +
    "JSON without running anything.",
    "",
    ...charts.flatMap((c) => [`![${c.alt}](${dir}/${c.name})`, ""]),
  ];
}
