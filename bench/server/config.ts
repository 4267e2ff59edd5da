/**
 * The server modes' sizes for a full run and for the smoke run (tiny, checks results only;
 * no callgrind).
 *
 * @module
 */
import type { CellSpec, ServerConfig, ServerMode } from "./types.ts";

/** Every server mode, in the order bench/server.ts runs them. */
export const SERVER_MODES: ServerMode[] = [
  "cost",
  "worst",
  "saturation",
  "instructions",
  "variants",
];

function cells(sizes: number[]): CellSpec[] {
  const [set, get, list10, list100, del, delUser, mix] = sizes;
  return [
    { op: "setSession", size: set },
    { op: "getSession", size: get },
    { op: "getSessionsByUserId", k: 10, size: list10 },
    { op: "getSessionsByUserId", k: 100, size: list100 },
    { op: "deleteSession", size: del },
    { op: "deleteSessionsByUserId", k: 10, size: delUser },
    { op: "mix", size: mix },
  ];
}

/** The configuration of bench/server.ts. */
export function serverConfig(options: {
  smoke: boolean;
  url: string;
  pid: number | undefined;
  out: string;
  modes: ServerMode[];
  processes: number;
  repeats?: number;
}): ServerConfig {
  const { smoke, url, pid, out, modes, processes } = options;
  return {
    modes: smoke ? modes.filter((m) => m !== "instructions" && m !== "variants") : modes,
    url,
    pid,
    cost: {
      cells: cells(
        smoke ? [40, 40, 10, 4, 20, 4, 200] : [4000, 8000, 2000, 400, 4000, 800, 10_000],
      ),
      repeats: options.repeats ?? (smoke ? 1 : 7),
      slices: smoke ? 2 : 10,
      // Many connections with one request in flight on each, as from many application
      // servers (every request read and answered on its own), then one connection with many
      // in flight (pipelined: many requests per read).
      regimes: smoke
        ? [{ connections: 4, concurrency: 4 }, { connections: 1, concurrency: 8 }]
        : [{ connections: 16, concurrency: 16 }, { connections: 1, concurrency: 32 }],
      subjects: ["ours", "ours2", "v2", "connect", "floor", "raw"],
    },
    instructions: {
      cells: cells([300, 500, 200, 40, 300, 100, 2000]),
      repeats: 3,
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
