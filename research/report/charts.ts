/**
 * The research page's charts, drawn with the bench's chart code (bench/report/charts.ts and
 * the helpers of bench/report/headline_charts.ts): what each operation costs Redis against
 * 2.1.2 (commandstats µs and main-thread CPU µs per request), and throughput with ~1 ms added
 * to every round trip. Each only when the run measured it.
 *
 * @module
 */
import { type BarChart, barChartSvg, type BarGroup } from "../../bench/report/charts.ts";
import { fmtMs, fmtNum, fmtRatio } from "../../bench/report/format.ts";
import {
  bar,
  type ChartFile,
  present,
  throughputChart,
} from "../../bench/report/headline_charts.ts";
import type { SubjectKey } from "../../bench/subjects.ts";
import type { ResearchData } from "../report.ts";
import { type Measure, ServerFigures } from "./server_data.ts";

/** Every file name the research charts can have (so that a re-render removes a stale one). */
export const RESEARCH_CHART_NAMES = [
  "redis-cost-commandstats.svg",
  "redis-cost-cpu.svg",
  "round-trips.svg",
];

/** µs per request that Redis spends, this adapter against 2.1.2, by one measure. */
function costChart(
  data: ResearchData,
  measure: Measure,
  title: string,
  subtitle: string,
): BarChart | undefined {
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

/**
 * The research charts of a run.
 *
 * @example
 * ```ts
 * const charts = researchCharts(JSON.parse(Deno.readTextFileSync("bench/RESULTS.json")));
 * ```
 */
export function researchCharts(data: ResearchData): ChartFile[] {
  const out: ChartFile[] = [];
  const add = (name: string, alt: string, chart: BarChart | undefined) => {
    if (chart) out.push({ name, alt, svg: barChartSvg(chart) });
  };
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
  const lat = data.results.find((r) => r.run === "latency" && r.measurements.length);
  if (lat && data.latency) {
    const added = fmtMs(data.latency.proxied.p50 - data.latency.direct.p50);
    const c = data.config.concurrencies[0];
    const counts = data.results.flatMap((r) => r.counts).filter((x) => x.client === "node-redis");
    add(
      "round-trips.svg",
      `Bar chart: operations per second at concurrency ${c} with ${added} ms added to every ` +
        "round trip, this adapter beside adapter 2.1.2 and the raw client, with each " +
        "operation's round trips",
      throughputChart(
        lat,
        c,
        data.config.latencyRepeats ?? 1,
        `+${added} ms per round trip, concurrency ${c} (${lat.runtime} ${lat.runtimeVersion}, ` +
          "node-redis, delay proxy)",
        (s, op) => counts.find((x) => x.subject === s && x.op === op)?.roundTrips,
      ),
    );
  }
  return out;
}
