/**
 * Horizontal bar charts as hand-written SVG, for bench/RESULTS.md and the README: no
 * dependencies, no external fonts (the system's sans-serif), and an explicit light background
 * with a border, so that a chart reads the same in GitHub's light and dark themes.
 *
 * A chart is groups (one per operation, say) of rows, one row per series (this adapter,
 * adapter 2.1.2, …) that has a value there. Every bar of a chart is drawn on one linear scale
 * from zero, so bar lengths compare across groups.
 *
 * @module
 */

/** One bar: a value, and the text printed after the bar (the formatted value by default). */
export interface Bar {
  value: number;
  text?: string;
}

/** A group of bars, labelled on the left; `bars[i]` belongs to `series[i]` (absent: no row). */
export interface BarGroup {
  label: string;
  /** A second, smaller line under the label. */
  note?: string;
  bars: (Bar | undefined)[];
}

/** A horizontal grouped bar chart. */
export interface BarChart {
  title: string;
  /** A line under the title: the unit, the method, which way is better. */
  subtitle?: string;
  /** The series' names, in row order within each group; shown in the legend. */
  series: string[];
  groups: BarGroup[];
  /** Formats a value for its bar (when the bar has no `text`) and for the axis. */
  format?: (value: number) => string;
  /** A last line in small print (where the figures come from). */
  footnote?: string;
}

/**
 * Colours of the series, in order: blue, orange, grey, bluish green (Okabe–Ito, told apart
 * with colour-blindness too). The chart's own background is white in either theme.
 */
export const SERIES_COLOURS = ["#0072b2", "#e69f00", "#8c8c8c", "#009e73", "#cc79a7"];

const FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif";
const INK = "#1f2328";
const MUTED = "#57606a";
const GRID = "#d8dee4";
const PAD = 16;
const BAR_H = 14;
const BAR_GAP = 4;
const GROUP_GAP = 14;
const PLOT_W = 420;

/** Escapes text for SVG/XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/**
 * A generous estimate of a text's width in px (no font metrics without a browser): wide enough
 * for the system sans-serif fonts, so that nothing is cut off.
 */
export function textWidth(text: string, fontSize: number): number {
  let units = 0;
  for (const ch of text) {
    units += /[MW@%]/.test(ch)
      ? 0.9
      : /[A-Z0-9#µ×·]/.test(ch)
      ? 0.7
      : /[il.,:;'|!() ]/.test(ch)
      ? 0.34
      : 0.6;
  }
  return Math.ceil(units * fontSize);
}

/** Axis ticks from 0: a 1, 2 or 5 × 10^n step, at most 8 steps, the last ≥ `max`. */
export function ticks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const pow = 10 ** Math.floor(Math.log10(max / 8));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => Math.ceil(max / s - 1e-9) <= 8)!;
  const out: number[] = [];
  for (let i = 0; out.length === 0 || out[out.length - 1] < max - step * 1e-9; i++) {
    out.push(Number((i * step).toPrecision(12)));
  }
  return out;
}

/** An axis label, in thousands (`12.5k`) or millions when the axis reaches 10,000. */
function tickLabel(n: number, axisMax: number): string {
  if (axisMax >= 1e7) return n === 0 ? "0" : `${Number((n / 1e6).toPrecision(3))}M`;
  if (axisMax >= 1e4) return n === 0 ? "0" : `${Number((n / 1e3).toPrecision(3))}k`;
  return Number(n.toPrecision(3)).toLocaleString("en-US");
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * Draws a chart as an SVG document (width, height and viewBox set; one `<rect class="bar">` per
 * row, with `data-value`). Throws a RangeError for a negative or non-finite value.
 *
 * @example
 * ```ts
 * const svg = barChartSvg({
 *   title: "ops/s",
 *   series: ["this adapter", "adapter 2.1.2"],
 *   groups: [{ label: "getSession", bars: [{ value: 12000 }, { value: 11000 }] }],
 * });
 * if (!svg.startsWith("<svg")) throw new Error("not an SVG");
 * ```
 */
export function barChartSvg(chart: BarChart): string {
  const format = chart.format ?? ((n: number) => n.toLocaleString("en-US"));
  for (const g of chart.groups) {
    if (g.bars.length > chart.series.length) {
      throw new RangeError(
        `Cannot draw the chart "${chart.title}": group "${g.label}" has ${g.bars.length} ` +
          `bars for ${chart.series.length} series`,
      );
    }
    for (const b of g.bars) {
      if (b && !(Number.isFinite(b.value) && b.value >= 0)) {
        throw new RangeError(
          `Cannot draw the chart "${chart.title}": group "${g.label}" has the value ` +
            `${b.value} (values must be finite and ≥ 0)`,
        );
      }
    }
  }
  const values = chart.groups.flatMap((g) => g.bars.filter((b) => b).map((b) => b!.value));
  const axis = ticks(Math.max(0, ...values));
  const scaleMax = axis[axis.length - 1];
  const text = (b: Bar) => b.text ?? format(b.value);

  const labelW = Math.max(
    60,
    ...chart.groups.map((g) => textWidth(g.label, 12)),
    ...chart.groups.map((g) => (g.note ? textWidth(g.note, 10) : 0)),
  ) + 10;
  // The longest bar's text must fit after it, and so must every other bar's after its own end.
  const valueW = Math.max(
    0,
    ...chart.groups.flatMap((g) =>
      g.bars.map((b) => (b ? (b.value / scaleMax) * PLOT_W + 6 + textWidth(text(b), 11) : 0))
    ),
  ) - PLOT_W;
  const legend = chart.series.map((name) => ({ name, w: 12 + 5 + textWidth(name, 12) + 16 }));
  const plotX = PAD + labelW;
  const width = Math.ceil(
    Math.max(
      plotX + PLOT_W + Math.max(valueW, 0) + PAD,
      PAD * 2 + textWidth(chart.title, 15) * 1.12, // bold
      PAD * 2 + (chart.subtitle ? textWidth(chart.subtitle, 12) : 0),
      PAD * 2 + (chart.footnote ? textWidth(chart.footnote, 10) : 0),
      PAD * 2 + legend.reduce((a, l) => a + l.w, 0),
    ),
  );

  const out: string[] = [];
  let y = PAD + 15;
  out.push(
    `<text x="${PAD}" y="${y}" font-size="15" font-weight="600">${escapeXml(chart.title)}</text>`,
  );
  if (chart.subtitle) {
    y += 18;
    out.push(
      `<text x="${PAD}" y="${y}" font-size="12" fill="${MUTED}">${
        escapeXml(chart.subtitle)
      }</text>`,
    );
  }
  y += 22;
  let lx = PAD;
  chart.series.forEach((_, i) => {
    const l = legend[i];
    out.push(
      `<rect class="swatch" x="${lx}" y="${y - 10}" width="12" height="12" rx="2" fill="${
        SERIES_COLOURS[i % SERIES_COLOURS.length]
      }"/>`,
      `<text x="${lx + 17}" y="${y}" font-size="12">${escapeXml(l.name)}</text>`,
    );
    lx += l.w;
  });
  y += 14;
  const plotTop = y;

  const bars: string[] = [];
  for (const g of chart.groups) {
    const rows = g.bars.map((b, i) => ({ b, i })).filter((r) => r.b !== undefined);
    const groupH = Math.max(1, rows.length) * (BAR_H + BAR_GAP) - BAR_GAP;
    const mid = y + groupH / 2;
    const labelY = g.note ? mid - 1 : mid + 4;
    bars.push(
      `<text x="${plotX - 10}" y="${round(labelY)}" font-size="12" text-anchor="end">${
        escapeXml(g.label)
      }</text>`,
    );
    if (g.note) {
      bars.push(
        `<text x="${plotX - 10}" y="${round(labelY + 12)}" font-size="10" fill="${MUTED}" ` +
          `text-anchor="end">${escapeXml(g.note)}</text>`,
      );
    }
    for (const { b, i } of rows) {
      const w = round((b!.value / scaleMax) * PLOT_W);
      const series = chart.series[i];
      bars.push(
        `<rect class="bar" x="${plotX}" y="${y}" width="${w}" height="${BAR_H}" fill="${
          SERIES_COLOURS[i % SERIES_COLOURS.length]
        }" data-value="${b!.value}" data-series="${escapeXml(series)}"><title>${
          escapeXml(`${series}, ${g.label}: ${text(b!)}`)
        }</title></rect>`,
        `<text class="value" x="${round(plotX + w + 6)}" y="${y + BAR_H - 3}" font-size="11">${
          escapeXml(text(b!))
        }</text>`,
      );
      y += BAR_H + BAR_GAP;
    }
    if (rows.length === 0) y += BAR_H + BAR_GAP;
    y += GROUP_GAP - BAR_GAP;
  }
  const plotBottom = y - GROUP_GAP + BAR_GAP + 4;

  // The grid and the axis go under the bars.
  for (const t of axis) {
    const x = round(plotX + (t / scaleMax) * PLOT_W);
    out.push(
      `<line x1="${x}" y1="${plotTop - 4}" x2="${x}" y2="${round(plotBottom)}" stroke="${
        t === 0 ? MUTED : GRID
      }" stroke-width="1"/>`,
      `<text x="${x}" y="${round(plotBottom + 13)}" font-size="10" fill="${MUTED}" ` +
        `text-anchor="middle">${escapeXml(tickLabel(t, scaleMax))}</text>`,
    );
  }
  out.push(...bars);
  y = plotBottom + 13;
  if (chart.footnote) {
    y += 18;
    out.push(
      `<text x="${PAD}" y="${round(y)}" font-size="10" fill="${MUTED}">${
        escapeXml(chart.footnote)
      }</text>`,
    );
  }
  const height = Math.ceil(y + PAD);
  const desc = chart.groups.map((g) =>
    `${g.label}: ${
      g.bars.map((b, i) => (b ? `${chart.series[i]} ${text(b)}` : "")).filter(Boolean).join(", ")
    }`
  ).join("; ");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title chart-desc" ` +
    `font-family="${escapeXml(FONT)}" fill="${INK}">`,
    `<title id="chart-title">${escapeXml(chart.title)}</title>`,
    `<desc id="chart-desc">${escapeXml(desc)}</desc>`,
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" ` +
    `fill="#ffffff" stroke="#d0d7de"/>`,
    ...out,
    "</svg>",
    "",
  ].join("\n");
}
