/**
 * The cluster mode's sizes for a full run and for the smoke run (tiny, checks results only).
 *
 * @module
 */
import type { CellSpec } from "../server/types.ts";
import type { ClusterConfig, ClusterPart, ClusterSubjectKey } from "./types.ts";

/** Every part of the cluster mode. */
export const CLUSTER_PARTS: ClusterPart[] = ["counts", "cost"];

/** The configuration of research/cluster.ts. */
export function clusterConfig(options: {
  smoke: boolean;
  parts: ClusterPart[];
  out: string;
  repeats?: number;
  subjects?: ClusterSubjectKey[];
}): ClusterConfig {
  const { smoke } = options;
  const [set, get, list, del, delUser, update] = smoke
    ? [16, 16, 6, 10, 4, 10]
    : [3000, 6000, 1200, 3000, 600, 3000];
  const cells: CellSpec[] = [
    { op: "setSession", size: set },
    { op: "getSession", size: get },
    { op: "getSessionsByUserId", k: 10, size: list },
    { op: "deleteSession", size: del },
    { op: "deleteSessionsByUserId", k: 10, size: delUser },
    { op: "updateSession", update: "country", size: update },
    { op: "updateSession", update: "renewal", size: update },
  ];
  return {
    parts: options.parts,
    subjects: options.subjects ?? ["ours", "oursV2", "v2"],
    cells,
    concurrencies: smoke ? [1, 8] : [1, 64],
    repeats: options.repeats ?? (smoke ? 1 : 3),
    slices: smoke ? 1 : 3,
    countOps: smoke ? 3 : 20,
    out: options.out,
  };
}
