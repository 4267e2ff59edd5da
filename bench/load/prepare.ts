/**
 * Preparing an operation for measurement: the data it needs stored beforehand, what one run of
 * it does, and the check that it did it.
 *
 * @module
 */
import type { Subject, SubjectKey } from "../subjects.ts";
import type { Family } from "./clients.ts";
import { check, hasUpdate, runPool, Sessions, updateOf } from "./common.ts";
import type { OpSpec } from "./types.ts";

/** Stores sessions 0..count-1 through the subject (its own format), 256 at a time. */
export async function populate(subject: Subject, sessions: Sessions, count: number): Promise<void> {
  const now = Date.now();
  const run = await runPool(256, count, 120_000, async (i) => {
    await subject.setSession(sessions.session(i, now));
  });
  check(run.done === count, `populating ${count} sessions timed out`);
}

/** What one measured operation needs: how many it may run and what each does. */
export interface Prepared {
  count: number;
  run: (i: number) => Promise<void>;
  verify: () => Promise<void>;
}

/** Pool sizes for the read operations (sessions in total, split in users of k sessions). */
const READ_POOL = 5000;

/** Stores what `spec` needs through `prep` and returns how to run it through `subject`. */
export async function prepare(
  spec: OpSpec,
  subject: Subject,
  prep: Subject,
  count: number,
): Promise<Prepared> {
  const k = spec.k ?? 2;
  const sessions = new Sessions(k);
  switch (spec.op) {
    case "setSession": {
      const now = Date.now();
      return {
        count,
        run: async (i) => {
          await subject.setSession(sessions.session(i, now));
        },
        verify: async () => {
          const s = await prep.getSession(sessions.id(0));
          check(s?.id === sessions.id(0), `${subject.key}: setSession did not store the session`);
        },
      };
    }
    case "getSession": {
      const pool = Math.min(READ_POOL, count);
      await populate(prep, sessions, pool);
      return {
        count,
        run: async (i) => {
          const n = (i * 7919) % pool;
          const s = await subject.getSession(sessions.id(n));
          if ((i & 15) === 0) {
            check(s?.id === sessions.id(n), `${subject.key}: getSession returned ${s?.id}`);
          }
        },
        verify: () => Promise.resolve(),
      };
    }
    case "getSessionsByUserId": {
      const users = Math.max(1, Math.floor(Math.min(READ_POOL, count * k) / k));
      await populate(prep, sessions, users * k);
      return {
        count,
        run: async (i) => {
          const list = await subject.getSessionsByUserId!(sessions.user(i % users));
          if ((i & 15) === 0) {
            check(
              list.length === k,
              `${subject.key}: getSessionsByUserId returned ${list.length} of ${k}`,
            );
          }
        },
        verify: () => Promise.resolve(),
      };
    }
    case "deleteSession": {
      await populate(prep, sessions, count);
      return {
        count,
        run: async (i) => {
          await subject.deleteSession(sessions.id(i));
        },
        verify: async () => {
          check(
            (await prep.getSession(sessions.id(0))) === null,
            `${subject.key}: deleteSession left the session`,
          );
        },
      };
    }
    case "updateSession": {
      // Each session updated once, so that every update changes what is stored.
      await populate(prep, sessions, count);
      const stored = Array.from({ length: count }, (_, i) => sessions.session(i));
      const update = (i: number) => updateOf(spec.update ?? "country", stored[i]);
      return {
        count,
        run: async (i) => {
          await subject.updateSession!(sessions.id(i), update(i));
        },
        verify: async () => {
          check(
            hasUpdate(await prep.getSession(sessions.id(0)), update(0)),
            `${subject.key}: updateSession did not store ${JSON.stringify(update(0))}`,
          );
        },
      };
    }
    case "deleteSessionsByUserId": {
      await populate(prep, sessions, count * k);
      return {
        count,
        run: async (i) => {
          await subject.deleteSessionsByUserId!(sessions.user(i));
        },
        verify: async () => {
          check(
            (await prep.getSession(sessions.id(0))) === null,
            `${subject.key}: deleteSessionsByUserId left a session`,
          );
          if (prep.getSessionsByUserId) {
            const left = await prep.getSessionsByUserId(sessions.user(0));
            check(left.length === 0, `${subject.key}: deleteSessionsByUserId left ${left.length}`);
          }
        },
      };
    }
  }
}

/**
 * The subject that prepares data for an operation: the subject itself, except that the raw
 * floor's getSessionsByUserId reads this adapter's layout, so this adapter writes it.
 */
export function prepFor(family: Family, key: SubjectKey, spec: OpSpec): Subject {
  const own = key === "raw" && spec.op === "getSessionsByUserId" ? "ours" : key;
  return family.prep.get(own) ?? family.prep.get(key)!;
}

/** The A/A control (ours2) is measured for throughput of getSession only. */
export function supports(subject: Subject, spec: OpSpec): boolean {
  if (subject.key === "ours2") return spec.op === "getSession";
  return subject[spec.op] !== undefined;
}
