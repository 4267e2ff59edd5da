/**
 * The server modes' sizes for a full run and for the smoke run (tiny, checks results only;
 * no callgrind).
 *
 * @module
 */
import type { SubjectKey } from "../../bench/subjects.ts";
import { cellLabel } from "./cells.ts";
import type { CellSpec, ServerConfig, ServerMode } from "./types.ts";

/** Every server mode, in the order research/server.ts runs them. */
export const SERVER_MODES: ServerMode[] = [
  "cost",
  "worst",
  "saturation",
  "instructions",
  "variants",
];

/** The cells, sized; `only` (cell labels) keeps some of them. */
function cells(sizes: number[], only?: string[]): CellSpec[] {
  const [set, get, list10, list100, del, delUser, update, mix] = sizes;
  const all: CellSpec[] = [
    { op: "setSession", size: set },
    { op: "getSession", size: get },
    { op: "getSessionsByUserId", k: 10, size: list10 },
    { op: "getSessionsByUserId", k: 100, size: list100 },
    { op: "deleteSession", size: del },
    { op: "deleteSessionsByUserId", k: 10, size: delUser },
    // Lucia v2's updateSession: measured for the subjects that have it (v2 entry, 2.1.2).
    { op: "updateSession", update: "country", size: update },
    { op: "updateSession", update: "renewal", size: update },
    { op: "mix", size: mix },
  ];
  return only ? all.filter((c) => only.includes(cellLabel(c))) : all;
}

/** The subjects of the cost mode and of the instruction counts, in order. */
const COST_SUBJECTS: SubjectKey[] = ["ours", "ours2", "oursV2", "v2", "connect", "floor", "raw"];
const INSTRUCTION_SUBJECTS: SubjectKey[] = ["ours", "oursV2", "v2", "floor", "raw"];

/** The configuration of research/server.ts. */
export function serverConfig(options: {
  smoke: boolean;
  url: string;
  pid: number | undefined;
  out: string;
  modes: ServerMode[];
  processes: number;
  repeats?: number;
  /** Only these subjects in the cost mode and the instruction counts (for targeted runs). */
  subjects?: SubjectKey[];
  /** Only these cells (labels, e.g. `updateSession(renewal)`) in the same modes. */
  ops?: string[];
}): ServerConfig {
  const { smoke, url, pid, out, modes, processes, ops } = options;
  const only = (list: SubjectKey[]) =>
    options.subjects ? list.filter((s) => options.subjects!.includes(s)) : list;
  return {
    modes: smoke ? modes.filter((m) => m !== "instructions" && m !== "variants") : modes,
    url,
    pid,
    cost: {
      cells: cells(
        smoke ? [40, 40, 10, 4, 20, 4, 20, 200] : [4000, 8000, 2000, 400, 4000, 800, 4000, 10_000],
        ops,
      ),
      repeats: options.repeats ?? (smoke ? 1 : 7),
      slices: smoke ? 2 : 10,
      // Many connections with one request in flight on each, as from many application
      // servers (every request read and answered on its own), then one connection with many
      // in flight (pipelined: many requests per read).
      regimes: smoke
        ? [{ connections: 4, concurrency: 4 }, { connections: 1, concurrency: 8 }]
        : [{ connections: 16, concurrency: 16 }, { connections: 1, concurrency: 32 }],
      subjects: only(COST_SUBJECTS),
    },
    instructions: {
      cells: cells([300, 500, 200, 40, 300, 100, 300, 2000], ops),
      repeats: 3,
      subjects: only(INSTRUCTION_SUBJECTS),
      variantSize: {
        setSession: 300,
        deleteSession: 300,
        "getSessionsByUserId(10)": 200,
        "deleteSessionsByUserId(10)": 100,
      },
    },
    saturation: {
      processes,
      concurrency: 256,
      connections: 4,
      seconds: smoke ? 0.5 : 5,
      repeats: smoke ? 1 : 3,
      users: smoke ? 50 : 2000,
    },
    worst: {
      ns: smoke ? [10, 100, 200] : [10, 100, 1000, 10_000, 20_000],
      repeats: smoke ? 1 : 3,
      cap: 100,
    },
    out,
  };
}
