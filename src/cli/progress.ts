/**
 * Progress of a long command on standard error: a bar redrawn in place (`\r`) when stderr is a
 * terminal, otherwise a plain line every few seconds (for logs). Standard output is never touched,
 * so `--json` output stays clean.
 *
 * @module
 */
import type { CliIo } from "./io.ts";
import { bar, count, duration } from "./format.ts";

/** Options of {@linkcode startProgress}. */
export interface ProgressOptions {
  /** What the command is called in plain lines: `migrate`. */
  readonly label: string;
  /** The expected number of keys (an estimate: `DBSIZE`); 0 when unknown. */
  readonly total: number;
  /** Milliseconds between plain lines when stderr is not a terminal. @default {2000} */
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
  /** Draws the final state and ends the line. */
  end(): void;
}

const WIDTH = 24;
const REDRAW_MS = 100;

/** The figures one line shows. @internal */
export interface ProgressState {
  readonly stage: string;
  readonly scanned: number;
  readonly changed: number;
  readonly total: number;
  readonly elapsedMs: number;
}

function rateOf(state: ProgressState): number {
  return state.elapsedMs > 0 ? state.scanned / (state.elapsedMs / 1000) : 0;
}

function etaOf(state: ProgressState): string {
  const rate = rateOf(state);
  if (state.total <= 0 || rate <= 0) return "?";
  return duration(Math.max(0, state.total - state.scanned) / rate);
}

/** The bar line: `sessions  [██████▌░░░]  27%  27,000/~100,000 scanned …`. @internal */
export function barLine(state: ProgressState): string {
  const total = Math.max(state.total, state.scanned);
  const percent = total > 0 ? Math.floor((state.scanned / total) * 100) : 0;
  const filled = bar(state.scanned, total, WIDTH);
  const cells = filled + "░".repeat(Math.max(0, WIDTH - [...filled].length));
  return `${state.stage.padEnd(8)}  [${cells}] ${String(percent).padStart(3)}%  ` +
    `${count(state.scanned)}/~${count(total)} scanned  ${count(state.changed)} changed  ` +
    `${count(rateOf(state))} keys/s  ETA ${etaOf(state)}`;
}

/** The plain line: `migrate: sessions: 27,000 of ~100,000 keys scanned (27%), …`. @internal */
export function plainLine(label: string, state: ProgressState): string {
  const total = Math.max(state.total, state.scanned);
  const percent = total > 0 ? Math.floor((state.scanned / total) * 100) : 0;
  return `${label}: ${state.stage}: ${count(state.scanned)} of ~${count(total)} keys scanned ` +
    `(${percent}%), ${count(state.changed)} changed, ${count(rateOf(state))} keys/s, ` +
    `ETA ${etaOf(state)}`;
}

/** Starts showing progress on `io.stderr`. */
export function startProgress(io: CliIo, options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 2000;
  const started = now();
  let stage = "";
  let scanned = 0;
  let changed = 0;
  let drawn = -Infinity;
  let width = 0;
  const state = (): ProgressState => ({
    stage,
    scanned,
    changed,
    total: options.total,
    elapsedMs: now() - started,
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
      draw(true);
      if (io.stderrIsTTY) io.stderr("\n");
    },
  };
}
