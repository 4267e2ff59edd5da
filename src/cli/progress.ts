/**
 * Progress of a long command on standard error: a bar redrawn in place (`\r`) when stderr is a
 * terminal, otherwise a plain line every few seconds (for logs). Standard output is never touched,
 * so `--json` output stays clean.
 *
 * What it counts: the keys the command's SCANs returned (those under its namespaces). How many
 * that will be is not known before the end (`SCAN … MATCH` filters on the server), so the total
 * is an upper bound, the number of keys in the database (`DBSIZE`), shown as `≤`: the bar may
 * stay short of the end while the scan walks keys of other namespaces. The final frame counts
 * what was scanned, and says 100 %.
 *
 * @module
 */
import type { CliIo } from "./io.ts";
import { bar, count, duration, plural } from "./format.ts";

/** Options of {@linkcode startProgress}. */
export interface ProgressOptions {
  /** What the command is called in plain lines: `migrate`. */
  readonly label: string;
  /** At most how many keys the stages will scan together (`DBSIZE`); 0 when unknown. */
  readonly total: number;
  /** Milliseconds between plain lines when stderr is not a terminal. @default {2000} (PLAIN_LINE_MS) */
  readonly intervalMs?: number;
  /** The clock, in ms. @default {Date.now} */
  readonly now?: () => number;
}

/** A running progress display. */
export interface Progress {
  /** Names the current stage (`sessions`, `indexes`). */
  stage(name: string): void;
  /** Counts keys scanned and keys changed, and redraws when it is time. */
  add(scanned: number, changed: number): void;
  /** Draws the final frame (`done`, 100 % of what was scanned) and ends the line. */
  end(): void;
}

/** Characters of the progress bar: room for the figures beside it on an 80-column terminal. */
const WIDTH = 24;
/** The least time between two redraws in a terminal, in ms: ten a second reads as live. */
const REDRAW_MS = 100;
/** The default time between plain lines (stderr not a terminal, a log file), in ms: few lines. */
const PLAIN_LINE_MS = 2000;

/** The figures one line shows. @internal */
export interface ProgressState {
  readonly stage: string;
  readonly scanned: number;
  readonly changed: number;
  /** At most how many keys there are to scan. */
  readonly total: number;
  readonly elapsedMs: number;
  /** True for the final frame: `scanned` is then the whole. */
  readonly done?: boolean;
}

function rateOf(state: ProgressState): number {
  return state.elapsedMs > 0 ? state.scanned / (state.elapsedMs / 1000) : 0;
}

function etaOf(state: ProgressState): string {
  const rate = rateOf(state);
  if (state.total <= 0 || rate <= 0) return "?";
  return duration(Math.max(0, state.total - state.scanned) / rate);
}

/** The total to draw against, the percent done, and the figures' words. */
function figures(state: ProgressState) {
  const total = state.done ? state.scanned : Math.max(state.total, state.scanned);
  const percent = state.done ? 100 : total > 0 ? Math.floor((state.scanned / total) * 100) : 0;
  const keys = state.done || total === 0
    ? `${plural(state.scanned, "key")} scanned`
    : `${count(state.scanned)} of ≤${plural(total, "key")} scanned`;
  const eta = etaOf(state);
  const time = state.done
    ? `in ${duration(state.elapsedMs / 1000)}`
    : `ETA ${eta === "?" ? eta : `≤${eta}`}`;
  return { total, percent, keys, time };
}

/**
 * The bar line: `sessions  [██████▌░░░]  27%  27,000 of ≤100,000 keys scanned …`; the final
 * frame `done      [██████████] 100%  92,000 keys scanned …`.
 *
 * @internal
 */
export function barLine(state: ProgressState): string {
  const { total, percent, keys, time } = figures(state);
  const filled = state.done && state.scanned === 0
    ? "█".repeat(WIDTH)
    : bar(state.scanned, total, WIDTH);
  const cells = filled + "░".repeat(Math.max(0, WIDTH - [...filled].length));
  return `${state.stage.padEnd(8)}  [${cells}] ${String(percent).padStart(3)}%  ${keys}  ` +
    `${count(state.changed)} changed  ${count(rateOf(state))} keys/s  ${time}`;
}

/**
 * The plain line: `migrate: sessions: 27,000 of ≤100,000 keys scanned (27%), …`.
 *
 * @internal
 */
export function plainLine(label: string, state: ProgressState): string {
  const { percent, keys, time } = figures(state);
  return `${label}: ${state.stage}: ${keys} (${percent}%), ${count(state.changed)} changed, ` +
    `${count(rateOf(state))} keys/s, ${time}`;
}

/** Starts showing progress on `io.stderr`. */
export function startProgress(io: CliIo, options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? PLAIN_LINE_MS;
  const started = now();
  let stage = "";
  let scanned = 0;
  let changed = 0;
  let drawn = -Infinity;
  let width = 0;
  let done = false;
  const state = (): ProgressState => ({
    stage,
    scanned,
    changed,
    total: options.total,
    elapsedMs: now() - started,
    done,
  });
  const draw = (force: boolean) => {
    const at = now();
    if (!force && at - drawn < (io.stderrIsTTY ? REDRAW_MS : interval)) return;
    drawn = at;
    if (io.stderrIsTTY) {
      const line = barLine(state());
      io.stderr(`\r${line}${" ".repeat(Math.max(0, width - line.length))}`);
      width = line.length;
    } else io.stderr(plainLine(options.label, state()) + "\n");
  };
  if (!io.stderrIsTTY) drawn = started; // The first plain line after one interval.
  return {
    stage(name) {
      stage = name;
      if (io.stderrIsTTY) draw(true);
    },
    add(moreScanned, moreChanged) {
      scanned += moreScanned;
      changed += moreChanged;
      draw(false);
    },
    end() {
      stage = "done";
      done = true;
      draw(true);
      if (io.stderrIsTTY) io.stderr("\n");
    },
  };
}
