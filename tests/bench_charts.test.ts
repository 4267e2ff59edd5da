/**
 * The benchmark report's charts (bench/report/charts.ts, bench/report/headline_charts.ts): each
 * SVG parsed back as XML and checked for what a reader relies on, not compared with a snapshot.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BarChart, barChartSvg, textWidth } from "../bench/report/charts.ts";
import { headlineCharts } from "../bench/report/headline_charts.ts";
import type { RunData } from "../bench/report/run_data.ts";
import { render, writeReport } from "../bench/report.ts";
import type { Measurement, MemoryRecord } from "../bench/load/types.ts";

interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  /** The element's own text, entities decoded. */
  text: string;
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function decode(raw: string): string {
  return raw.replace(/&([a-z]+);/g, (m, name) => {
    if (!(name in ENTITIES)) throw new Error(`unknown entity ${m}`);
    return ENTITIES[name];
  });
}

/**
 * A strict little XML parser for what the charts use: elements, attributes in double quotes,
 * self-closing tags, text with the five predefined entities. Throws on anything unbalanced, a
 * bare `<` or `&` in text, or a duplicate attribute.
 */
function parseXml(xml: string): Element {
  const stack: Element[] = [{ name: "#document", attrs: {}, children: [], text: "" }];
  let i = 0;
  while (i < xml.length) {
    if (xml[i] === "<") {
      const end = xml.indexOf(">", i);
      if (end < 0) throw new Error(`unclosed tag at ${i}`);
      const tag = xml.slice(i + 1, end);
      i = end + 1;
      if (tag.startsWith("/")) {
        const open = stack.pop()!;
        if (open.name !== tag.slice(1)) {
          throw new Error(`</${tag.slice(1)}> closes <${open.name}>`);
        }
        continue;
      }
      const selfClosing = tag.endsWith("/");
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*$/.exec(body);
      if (!m) throw new Error(`malformed tag <${tag}>`);
      const attrs: Record<string, string> = {};
      for (const a of m[2].matchAll(/([\w:-]+)="([^"]*)"/g)) {
        if (a[1] in attrs) throw new Error(`duplicate attribute ${a[1]} in <${m[1]}>`);
        attrs[a[1]] = decode(a[2]);
      }
      const el: Element = { name: m[1], attrs, children: [], text: "" };
      stack[stack.length - 1].children.push(el);
      if (!selfClosing) stack.push(el);
    } else {
      const next = xml.indexOf("<", i);
      const raw = xml.slice(i, next < 0 ? xml.length : next);
      if (/&(?![a-z]+;)/.test(raw)) throw new Error(`bare & in text ${JSON.stringify(raw)}`);
      stack[stack.length - 1].text += decode(raw);
      i = next < 0 ? xml.length : next;
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1].name}> never closed`);
  const roots = stack[0].children;
  if (roots.length !== 1) throw new Error(`${roots.length} root elements`);
  if (stack[0].text.trim() !== "") throw new Error("text outside the root element");
  return roots[0];
}

function all(el: Element, pred: (e: Element) => boolean): Element[] {
  return [...(pred(el) ? [el] : []), ...el.children.flatMap((c) => all(c, pred))];
}

const bars = (svg: Element) => all(svg, (e) => e.name === "rect" && e.attrs.class === "bar");

const CHART: BarChart = {
  title: "Throughput per operation",
  subtitle: "operations per second; longer is faster",
  series: ["this adapter", "adapter 2.1.2", "raw floor"],
  groups: [
    { label: "setSession", bars: [{ value: 8000 }, { value: 10000 }, { value: 12500 }] },
    { label: "getSession", bars: [{ value: 20000 }, undefined, { value: 25000 }] },
    { label: "getSessionsByUserId(100)", note: "100 sessions", bars: [{ value: 0 }, { value: 1 }] },
  ],
  footnote: "fixture",
};

describe("bench charts: the SVG", () => {
  it("is well-formed XML with one svg root whose width, height and viewBox agree", () => {
    const svg = parseXml(barChartSvg(CHART));
    assert.equal(svg.name, "svg");
    assert.equal(svg.attrs.xmlns, "http://www.w3.org/2000/svg");
    const width = Number(svg.attrs.width);
    const height = Number(svg.attrs.height);
    assert.ok(width > 0 && Number.isInteger(width), `width ${svg.attrs.width}`);
    assert.ok(height > 0 && Number.isInteger(height), `height ${svg.attrs.height}`);
    assert.equal(svg.attrs.viewBox, `0 0 ${width} ${height}`);
    assert.equal(svg.attrs.role, "img");
    assert.equal(all(svg, (e) => e.name === "title")[0].text, CHART.title);
  });

  it("draws one bar per row that has a value, each on its own line", () => {
    const svg = parseXml(barChartSvg(CHART));
    const drawn = bars(svg);
    const expected = CHART.groups.flatMap((g) =>
      g.bars.flatMap((b, i) => (b ? [{ value: b.value, series: CHART.series[i] }] : []))
    );
    assert.equal(drawn.length, expected.length);
    assert.deepEqual(
      drawn.map((b) => ({ value: Number(b.attrs["data-value"]), series: b.attrs["data-series"] })),
      expected,
    );
    const ys = drawn.map((b) => Number(b.attrs.y));
    assert.equal(new Set(ys).size, ys.length, "two bars share a row");
    assert.deepEqual([...ys].sort((a, b) => a - b), ys, "rows go down in order");
    // Every group's label is printed once.
    const texts = all(svg, (e) => e.name === "text").map((t) => t.text);
    for (const g of CHART.groups) assert.equal(texts.filter((t) => t === g.label).length, 1);
  });

  it("makes bar lengths proportional to the values, on one scale from a common zero", () => {
    const svg = parseXml(barChartSvg(CHART));
    const drawn = bars(svg);
    assert.equal(new Set(drawn.map((b) => b.attrs.x)).size, 1, "bars start at one x");
    const scale = Number(drawn[0].attrs.width) / Number(drawn[0].attrs["data-value"]);
    for (const b of drawn) {
      const value = Number(b.attrs["data-value"]);
      assert.ok(
        Math.abs(Number(b.attrs.width) - value * scale) <= 0.01,
        `bar of ${value}: width ${b.attrs.width}, expected ${value * scale}`,
      );
    }
    // The largest bar fits inside the chart, with its value printed after it.
    const width = Number(svg.attrs.width);
    for (const b of drawn) assert.ok(Number(b.attrs.x) + Number(b.attrs.width) < width);
  });

  it("labels the axis from 0 at the bars' start, each label where a bar of its value would end", () => {
    const svg = parseXml(barChartSvg(CHART));
    const drawn = bars(svg);
    const x0 = Number(drawn[0].attrs.x);
    const scale = Number(drawn[0].attrs.width) / Number(drawn[0].attrs["data-value"]);
    const labels = all(svg, (e) => e.name === "text" && e.attrs["text-anchor"] === "middle");
    const values = labels.map((t) =>
      Number(t.text.replace(/k$/, "")) * (t.text.endsWith("k") ? 1000 : 1)
    );
    assert.equal(values[0], 0);
    assert.ok(values[values.length - 1] >= 25000, `axis ends at ${values[values.length - 1]}`);
    assert.ok(values.length <= 9, `${values.length} axis labels`);
    const step = values[1] - values[0];
    labels.forEach((t, i) => {
      assert.equal(values[i], i * step, "equal steps");
      assert.ok(Math.abs(Number(t.attrs.x) - (x0 + values[i] * scale)) <= 0.01, `label ${t.text}`);
    });
  });

  it("prints each value after its bar, and every line of text inside the chart's width", () => {
    const svg = parseXml(barChartSvg(CHART));
    const width = Number(svg.attrs.width);
    const values = all(svg, (e) => e.name === "text" && e.attrs.class === "value");
    assert.deepEqual(
      values.map((t) => t.text),
      ["8,000", "10,000", "12,500", "20,000", "25,000", "0", "1"],
    );
    for (const t of all(svg, (e) => e.name === "text" && !e.attrs["text-anchor"])) {
      const right = Number(t.attrs.x) + textWidth(t.text, Number(t.attrs["font-size"]));
      assert.ok(right <= width, `"${t.text}" ends at ${right}, past ${width}`);
    }
  });

  it("escapes markup and ampersands in titles, labels, series and values", () => {
    const hostile = `<script>alert("x")</script> & 'q'`;
    const source = barChartSvg({
      title: hostile,
      series: [hostile, "b"],
      groups: [{
        label: hostile,
        note: hostile,
        bars: [{ value: 3, text: hostile }, { value: 1 }],
      }],
    });
    assert.ok(!source.includes("<script"), "raw <script> in the SVG");
    const svg = parseXml(source);
    const texts = all(svg, (e) => e.name === "text" || e.name === "title").map((t) => t.text);
    // Title (twice: <title> and the heading), legend, label, note, value and the bar's tooltip.
    assert.ok(texts.filter((t) => t === hostile).length >= 5, JSON.stringify(texts));
    assert.equal(bars(svg)[0].attrs["data-series"], hostile);
  });

  it("refuses a negative or non-finite value, naming the chart and the group", () => {
    for (const value of [-1, NaN, Infinity]) {
      assert.throws(
        () =>
          barChartSvg({
            title: "T",
            series: ["a"],
            groups: [{ label: "getSession", bars: [{ value }] }],
          }),
        (e: unknown) =>
          e instanceof RangeError && /"T"/.test(e.message) && /getSession/.test(e.message) &&
          e.message.includes(String(value)),
      );
    }
    assert.throws(
      () =>
        barChartSvg({
          title: "T",
          series: ["a"],
          groups: [{ label: "g", bars: [{ value: 1 }, { value: 2 }] }],
        }),
      /2 bars for 1 series/,
    );
  });
});

/** A run with throughput at c=1 and c=256 (3 repeats) and memory, nothing else. */
function fixtureRun(): RunData {
  const measurements: Measurement[] = [];
  const per: Record<string, Record<string, number>> = {
    getSession: { ours: 9000, v2: 10000, raw: 12000 },
    "getSessionsByUserId(10)": { ours: 6000, v2: 3000 },
  };
  for (const [op, subjects] of Object.entries(per)) {
    for (const [subject, base] of Object.entries(subjects)) {
      for (const concurrency of [1, 256]) {
        for (const repeat of [0, 1, 2]) {
          const opsPerSec = base * (concurrency === 1 ? 1 : 4) * [1, 1.1, 0.8][repeat];
          measurements.push({
            run: "loopback",
            runtime: "node",
            client: "node-redis",
            subject: subject as Measurement["subject"],
            op,
            concurrency,
            repeat,
            ops: opsPerSec / 10,
            seconds: 0.1,
            opsPerSec,
            p50: 0.1,
            p99: 0.2,
            serverCpuUs: 10,
          });
        }
      }
    }
  }
  const memory: MemoryRecord[] = [
    {
      subject: "ours",
      k: 1,
      sessions: 10000,
      bytesPerSession: 535,
      fromEmpty: 533,
      keysPerSession: 2,
    },
    {
      subject: "v2",
      k: 1,
      sessions: 10000,
      bytesPerSession: 608,
      fromEmpty: 606,
      keysPerSession: 2,
    },
    {
      subject: "oursV2",
      k: 1,
      sessions: 10000,
      bytesPerSession: 530,
      fromEmpty: 530,
      keysPerSession: 2,
    },
  ];
  return {
    smoke: false,
    date: "2026-01-01T00:00:00.000Z",
    machine: {
      cpu: "x",
      cores: 2,
      memoryGiB: 1,
      kernel: "k",
      loadBefore: [0, 0, 0],
      loadAfter: [0, 0, 0],
    },
    redis: "7.0.15",
    versions: {
      ours: "ours",
      v2: "2.1.2",
      client: "node-redis",
      bun: "1",
      connect: "c",
      expressSession: "e",
    },
    config: {
      repeats: 3,
      durationMs: 100,
      concurrencies: [1, 256],
      latencyRepeats: 3,
      memorySessions: 10000,
      expireMs: 1000,
    },
    results: [{
      run: "loopback",
      runtime: "node",
      runtimeVersion: "20",
      measurements,
      counts: [],
      memory,
      retained: [],
    }],
    elapsedSeconds: 1,
  };
}

describe("bench charts: from a run's figures", () => {
  it("draws only what the run measured, with the medians over repeats as bar values", () => {
    const charts = headlineCharts(fixtureRun());
    assert.deepEqual(charts.map((c) => c.name), [
      "throughput-c1.svg",
      "throughput-c256.svg",
      "memory.svg",
    ]);
    const c1 = parseXml(charts[0].svg);
    // Median of 1, 1.1 and 0.8 times the base is the base; the raw floor has no listing.
    assert.deepEqual(bars(c1).map((b) => [b.attrs["data-series"], Number(b.attrs["data-value"])]), [
      ["this adapter", 9000],
      ["adapter 2.1.2", 10000],
      ["raw floor", 12000],
      ["this adapter", 6000],
      ["adapter 2.1.2", 3000],
    ]);
    const values = all(c1, (e) => e.name === "text" && e.attrs.class === "value").map((t) =>
      t.text
    );
    assert.equal(values[0], "9,000 · 0.90× 2.1.2");
    assert.equal(values[3], "6,000 · 2.00× 2.1.2");
    // The Lucia v2 entry has its own section; memory compares the v1 entry with the others.
    const memory = parseXml(charts[2].svg);
    assert.deepEqual(bars(memory).map((b) => b.attrs["data-series"]), [
      "this adapter",
      "adapter 2.1.2",
    ]);
  });

  it("leaves out a bar for a negative figure (a smoke run's memory slope) instead of failing", () => {
    const data = fixtureRun();
    data.results[0].memory[1].bytesPerSession = -12;
    const memory = headlineCharts(data).find((c) => c.name === "memory.svg")!;
    assert.deepEqual(bars(parseXml(memory.svg)).map((b) => b.attrs["data-series"]), [
      "this adapter",
    ]);
  });

  it("writes the charts beside the Markdown, which links each one with alt text", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-charts-"));
    try {
      // A chart of an earlier render that this run has no figures for goes.
      const md = join(dir, "RESULTS.md");
      const noMemory = fixtureRun();
      noMemory.results[0].memory = [];
      writeReport(noMemory, md);
      assert.ok(!readdirSync(join(dir, "charts")).includes("memory.svg"));
      writeFileSync(join(dir, "charts", "memory.svg"), "<svg/>");
      writeReport(noMemory, md);
      assert.ok(!readdirSync(join(dir, "charts")).includes("memory.svg"), "a stale chart stays");
      const written = writeReport(fixtureRun(), md);
      assert.deepEqual(readdirSync(join(dir, "charts")).sort(), [
        "memory.svg",
        "throughput-c1.svg",
        "throughput-c256.svg",
      ]);
      assert.equal(written.length, 4);
      const text = readFileSync(md, "utf8");
      const links = [...text.matchAll(/!\[([^\]]+)\]\(([^)]+)\)/g)];
      assert.deepEqual(links.map((l) => l[2]), [
        "charts/throughput-c1.svg",
        "charts/throughput-c256.svg",
        "charts/memory.svg",
      ]);
      for (const l of links) assert.match(l[1], /^Bar chart: .{40,}/);
      // Without a charts directory the Markdown is what it was before charts: no section.
      const plain = render(fixtureRun());
      assert.ok(!plain.includes("## Charts"));
      assert.equal(text.replace(/## Charts\n[\s\S]*?(?=## Method)/, ""), plain);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("bench report: the committed run", () => {
  it("renders bench/RESULTS.json, a full run with the research parts beside the bench's, section by section", () => {
    const data = JSON.parse(
      readFileSync(new URL("../bench/RESULTS.json", import.meta.url), "utf8"),
    ) as RunData;
    const headings = render(data, "charts").split("\n").filter((l) => l.startsWith("## "));
    for (
      const heading of [
        "## Charts",
        "## Method",
        "## Commands and round trips per operation",
        "## Redis memory",
        "## Versions",
      ]
    ) assert.ok(headings.includes(heading), `${heading} missing: ${headings.join(" | ")}`);
    assert.ok(headings.some((h) => h.startsWith("## Throughput and latency: ")));
    // The research parts are research/report.ts's: no section of theirs here.
    assert.ok(!headings.some((h) => /server cost|Cluster|migrate|Goals|per round trip/.test(h)));
    assert.deepEqual(headlineCharts(data).map((c) => c.name), [
      "throughput-c1.svg",
      "throughput-c256.svg",
      "memory.svg",
    ]);
  });
});
