/**
 * Turns a benchmark run's JSON into bench/RESULTS.md: every figure comes from the run. The
 * sections are built in bench/report/.
 *
 * @module
 */
import { clusterSection } from "./report/cluster.ts";
import { goalsSection } from "./report/goals.ts";
import { introSection, methodSection } from "./report/method.ts";
import { migrateSection } from "./report/migrate.ts";
import type { RunData } from "./report/run_data.ts";
import { serverCostSections } from "./report/server_cost.ts";
import { serverMoreSections } from "./report/server_more.ts";
import {
  countsSection,
  memorySection,
  throughputSections,
  versionsSection,
} from "./report/sections.ts";
import { v2EntrySection } from "./report/v2_entry.ts";

export type { RunData };

/** Renders RESULTS.md. */
export function render(data: RunData): string {
  return [
    ...introSection(data),
    ...methodSection(data),
    ...goalsSection(data),
    ...(data.server ? serverCostSections(data.server) : []),
    ...(data.server ? serverMoreSections(data.server) : []),
    ...countsSection(data),
    ...memorySection(data),
    ...v2EntrySection(data),
    ...clusterSection(data.cluster),
    ...migrateSection(data.migrate),
    ...throughputSections(data),
    ...versionsSection(data),
  ].join("\n");
}
