/**
 * A cell of the server modes: one operation (or the mix) of one subject, with its data stored
 * beforehand through the subject itself (its own key layout and value format), a warm-up that
 * loads its scripts, the measured requests, and a check that they did what they should.
 *
 * @module
 */
import type { Subject } from "../../bench/subjects.ts";
import { check, hasUpdate, opLabel, runPool, updateOf } from "../../bench/load/common.ts";
import { Universe } from "./data.ts";
import { mixRun } from "./mix.ts";
import type { CellSpec } from "./types.ts";

/** A cell ready to measure. */
export interface Cell {
  /** Requests to run: run(0) … run(count - 1). */
  count: number;
  warm(): Promise<void>;
  run(i: number): Promise<void>;
  verify(): Promise<void>;
}

/** The label of a cell's operation, e.g. `getSessionsByUserId(10)`, `mix`. */
export function cellLabel(spec: CellSpec): string {
  return opLabel(spec);
}

/** Whether a subject has the operation (the mix needs all five). */
export function hasOp(subject: Subject, spec: CellSpec): boolean {
  if (spec.op === "mix") {
    return subject.getSessionsByUserId !== undefined &&
      subject.deleteSessionsByUserId !== undefined;
  }
  return subject[spec.op] !== undefined;
}

/** Stores sessions `from..to-1` of `u` through `seeder`. */
export async function seed(
  seeder: Subject,
  u: Universe,
  to: number,
  from = 0,
  concurrency = 64,
): Promise<void> {
  const run = await runPool(
    concurrency,
    to,
    300_000,
    (n) => seeder.setSession(u.session(n)),
    undefined,
    from,
  );
  check(run.done === to, `seeding ${to - from} sessions timed out`);
}

/** Whether the subject's own listing can check what a cell left (it indexes what it stores). */
function lists(subject: Subject): boolean {
  return subject.getSessionsByUserId !== undefined && subject.key !== "raw";
}

/**
 * Prepares a cell of `size` requests: stores its data through `seeder` (the subject itself, or
 * for the raw client's listing, which reads this adapter's layout, the floor scripts that write
 * that layout) and returns how to run it.
 */
export async function prepareCell(
  spec: CellSpec,
  subject: Subject,
  seeder: Subject,
  size: number,
  seedNo: number,
): Promise<Cell> {
  const k = spec.k ?? 10;
  const u = new Universe(seedNo, k);
  const name = `${subject.key} ${cellLabel(spec)}`;
  switch (spec.op) {
    case "setSession":
      // Users get their k sessions in turn: one write in k creates the user's index.
      return {
        count: size,
        warm: async () => {
          for (let j = 0; j < 2; j++) await subject.setSession(u.session(size + k + j));
        },
        run: async (i) => {
          await subject.setSession(u.session(i));
        },
        verify: async () => {
          check((await subject.getSession(u.id(0)))?.id === u.id(0), `${name}: not stored`);
          if (lists(subject)) {
            const list = await subject.getSessionsByUserId!(u.user(0));
            check(list.length === Math.min(k, size), `${name}: listed ${list.length}`);
          }
        },
      };
    case "getSession": {
      const pool = Math.max(1, Math.min(size, 1000));
      await seed(seeder, u, pool);
      const run = async (i: number) => {
        const n = (i * 7919) % pool;
        const s = await subject.getSession(u.id(n));
        check(s?.id === u.id(n), `${name}: returned ${s?.id}`);
      };
      return { count: size, warm: () => run(1).then(() => run(2)), run, verify: async () => {} };
    }
    case "getSessionsByUserId": {
      const users = Math.max(1, Math.min(size, Math.floor(2000 / k)));
      await seed(seeder, u, users * k);
      const run = async (i: number) => {
        const list = await subject.getSessionsByUserId!(u.user(i % users));
        check(list.length === k, `${name}: listed ${list.length} of ${k}`);
      };
      return { count: size, warm: () => run(0).then(() => run(1)), run, verify: async () => {} };
    }
    case "deleteSession": {
      // 5 of each user's 10 sessions (the odd ones), so indexes are left non-empty; the last
      // user is the warm-up's.
      const users = Math.ceil(size / 5) + 1;
      await seed(seeder, u, users * k);
      const nth = (i: number) => Math.floor(i / 5) * k + 2 * (i % 5) + 1;
      return {
        count: size,
        warm: async () => {
          for (const j of [1, 3]) await subject.deleteSession(u.id((users - 1) * k + j));
        },
        run: async (i) => {
          await subject.deleteSession(u.id(nth(i)));
        },
        verify: async () => {
          check((await subject.getSession(u.id(1))) === null, `${name}: left the session`);
          check((await subject.getSession(u.id(0)))?.id === u.id(0), `${name}: deleted another`);
          if (lists(subject)) {
            const list = await subject.getSessionsByUserId!(u.user(0));
            check(list.length === k - Math.min(5, size), `${name}: ${list.length} left`);
          }
        },
      };
    }
    case "updateSession": {
      // Each session updated once (so every update changes it); the last two are the warm-up's.
      await seed(seeder, u, size + 2);
      const update = (n: number) => updateOf(spec.update ?? "country", u.session(n));
      const run = async (n: number) => {
        await subject.updateSession!(u.id(n), update(n));
      };
      return {
        count: size,
        warm: () => run(size).then(() => run(size + 1)),
        run,
        verify: async () => {
          check(hasUpdate(await subject.getSession(u.id(0)), update(0)), `${name}: not updated`);
        },
      };
    }
    case "deleteSessionsByUserId": {
      await seed(seeder, u, (size + 2) * k);
      return {
        count: size,
        warm: async () => {
          for (const user of [size, size + 1]) await subject.deleteSessionsByUserId!(u.user(user));
        },
        run: async (i) => {
          await subject.deleteSessionsByUserId!(u.user(i));
        },
        verify: async () => {
          check((await subject.getSession(u.id(0))) === null, `${name}: left a session`);
          const list = await subject.getSessionsByUserId!(u.user(0));
          check(list.length === 0, `${name}: ${list.length} left`);
        },
      };
    }
    case "mix": {
      const users = Math.max(4, Math.min(1000, Math.ceil(size / 10)));
      const mix = mixRun(subject, seedNo, users, k);
      await mix.seed(seeder);
      return {
        count: size,
        warm: () => mix.warm(),
        run: (i) => mix.run(i),
        verify: () => {
          const total = Object.values(mix.done).reduce((a, b) => a + b, 0);
          check(total === size, `${name}: ${total} requests of ${size}`);
          return Promise.resolve();
        },
      };
    }
  }
}
