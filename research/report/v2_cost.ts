/**
 * The Lucia v2 entry's server cost against adapter 2.1.2 (research/RESULTS.md): the cost mode's
 * and the instruction counts' figures for the v2 entry and 2.1.2, every operation measured.
 *
 * @module
 */
import { fmtInt, fmtNum, fmtRatio, table } from "../../bench/report/format.ts";
import { SUBJECT_NAMES, type SubjectKey } from "../../bench/subjects.ts";
import type { ServerResult } from "../server/types.ts";
import { type Measure, MEASURE_NAMES, MEASURES, ServerFigures } from "./server_data.ts";

const PAIR: SubjectKey[] = ["oursV2", "v2"];

function name(s: SubjectKey): string {
  return s === "oursV2" ? `**${SUBJECT_NAMES[s]}**` : SUBJECT_NAMES[s];
}

/** Server cost of both, every operation measured for the v2 entry. */
export function v2CostSection(r: ServerResult): string[] {
  const f = new ServerFigures(r);
  const ops = [...new Set([...r.cost, ...r.instructions].map((x) => x.op))].filter((op) =>
    MEASURES.some((m) => Number.isFinite(f.per(op, "oursV2", m)))
  );
  if (ops.length === 0) return [];
  const rows: string[][] = [];
  for (const op of ops) {
    for (const s of PAIR) {
      if (!MEASURES.some((m) => Number.isFinite(f.per(op, s, m)))) continue;
      rows.push([
        op,
        name(s),
        f.commands(op, s),
        ...MEASURES.map((m) =>
          m === "instr" ? fmtInt(f.per(op, s, m)) : fmtNum(f.per(op, s, m), 2)
        ),
        ...MEASURES.map((m) => s === "v2" ? "" : fmtRatio(f.ratio(op, s, "v2", m))),
      ]);
    }
  }
  const header = [
    "operation",
    "subject",
    "top-level commands/request",
    ...MEASURES.map((m: Measure) => `${MEASURE_NAMES[m]}/request`),
    ...MEASURES.map((m: Measure) => `÷ 2.1.2, ${MEASURE_NAMES[m]}`),
  ];
  return [
    "## This adapter's Lucia v2 entry against adapter 2.1.2: Redis server cost",
    "",
    "Measured in the cost mode and the instruction counts above, beside the other subjects " +
    "(same method, same cells; the ÷ 2.1.2 ratios are medians of per-repeat ratios). " +
    (r.instructionsSkipped ? `Instructions: not measured (${r.instructionsSkipped}). ` : "") +
    "A ratio under 1.00× means the v2 entry costs Redis less than 2.1.2.",
    "",
    table(header, rows, ["---", "---", "---", ...Array(8).fill("--:")]),
    "",
  ];
}
