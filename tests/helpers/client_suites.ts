/**
 * Runs the contract suite (tests/contract/suite.ts) and the connection checks
 * (tests/helpers/client_checks.ts) over setups of the table in tests/helpers/setups.ts.
 *
 * @module
 */
import { describe, it } from "node:test";
import { clientChecks } from "./client_checks.ts";
import { contractSuite } from "../contract/suite.ts";
import type { ClientSetup } from "./setups.ts";

/**
 * Defines both suites for each setup; a setup that cannot run on this runtime is reported as
 * skipped, with the reason in its name.
 */
export function clientSuites(setups: ClientSetup[]): void {
  for (const setup of setups) {
    if (setup.skip) {
      const { runtime, reason } = setup.skip;
      describe(`The Redis session adapter over ${setup.name} (skipped: ${reason})`, {
        skip: reason,
      }, () => {
        it(`runs on ${runtime} only`, () => {});
      });
      continue;
    }
    const open = (server: Parameters<ClientSetup["open"]>[0]) => setup.open(server);
    contractSuite(setup.name, open);
    clientChecks(setup.name, open);
  }
}
