/**
 * A Lucia-like mix of requests: per 1,000 requests, 950 getSession, 20 setSession (a login), 20
 * deleteSession (a sign-out), 8 getSessionsByUserId (a user's sessions, ~10 each) and 2
 * deleteSessionsByUserId (sign out everywhere), in an order shuffled once from a seed.
 *
 * The mix keeps track of what is stored and checks every reply: getSession must return the
 * session, getSessionsByUserId exactly the user's sessions. Requests may overlap (several in
 * flight); a user with a write in flight is not read or written, and one with a read in flight
 * not written, so the checks hold whatever order the replies come back in. At concurrency 1
 * every choice depends only on the seed, so the same requests run in every run.
 *
 * @module
 */
import type { Subject } from "../../bench/subjects.ts";
import { prng, Universe } from "./data.ts";

/** The mix per 1,000 requests. */
export const MIX = {
  getSession: 950,
  setSession: 20,
  deleteSession: 20,
  getSessionsByUserId: 8,
  deleteSessionsByUserId: 2,
} as const;

type MixOp = keyof typeof MIX;

/** 1,000 requests in the mix's proportions, shuffled from `seed`. */
export function mixSchedule(seed: number): MixOp[] {
  const out: MixOp[] = [];
  for (const [op, n] of Object.entries(MIX) as [MixOp, number][]) {
    for (let i = 0; i < n; i++) out.push(op);
  }
  const rnd = prng(seed ^ 0x5eed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** What a mix run needs: its data, its warm-up, and one request per index. */
export interface MixRun {
  /** Stores the users' sessions through `seeder` (the subject itself). */
  seed(seeder: Subject, concurrency?: number): Promise<void>;
  /** One request of each kind on users outside the measured ones (loads scripts). */
  warm(): Promise<void>;
  /** Request `i` of the schedule (repeating every 1,000). */
  run(i: number): Promise<void>;
  /** Requests done, by kind. */
  readonly done: Record<MixOp, number>;
}

/**
 * A mix over `users` users of `perUser` sessions each, through `subject`; with several
 * subjects (one per connection, say), each user's requests all go through
 * `subjects[user % subjects.length]`, so that they stay in order.
 */
export function mixRun(
  subject: Subject | Subject[],
  seed: number,
  users: number,
  perUser = 10,
): MixRun {
  const subjects = Array.isArray(subject) ? subject : [subject];
  const via = (user: number) => subjects[user % subjects.length];
  const u = new Universe(seed, perUser);
  const schedule = mixSchedule(seed);
  const rnd = prng(seed);
  // Two warm users after the measured ones.
  const warmUsers = 2;
  const sessionsOf: number[][] = [];
  const live: number[] = [];
  const where = new Map<number, number>();
  const owner = new Map<number, number>();
  for (let user = 0; user < users + warmUsers; user++) {
    sessionsOf.push([]);
    for (let j = 0; j < perUser; j++) {
      const n = user * perUser + j;
      sessionsOf[user].push(n);
      owner.set(n, user);
      if (user < users) {
        where.set(n, live.length);
        live.push(n);
      }
    }
  }
  let next = (users + warmUsers) * perUser;
  const readers = new Int32Array(users);
  const writers = new Int32Array(users);
  const done = Object.fromEntries(Object.keys(MIX).map((k) => [k, 0])) as Record<MixOp, number>;

  const forget = (n: number) => {
    const at = where.get(n);
    if (at !== undefined) {
      const last = live.pop()!;
      if (last !== n) {
        live[at] = last;
        where.set(last, at);
      }
      where.delete(n);
    }
    const user = owner.get(n)!;
    const list = sessionsOf[user];
    list.splice(list.indexOf(n), 1);
    owner.delete(n);
  };
  const pick = <T>(draw: () => T | undefined): T | undefined => {
    for (let i = 0; i < 64; i++) {
      const x = draw();
      if (x !== undefined) return x;
    }
    return undefined;
  };
  const randomUser = (free: (user: number) => boolean) =>
    pick(() => {
      const user = Math.floor(rnd() * users);
      return free(user) ? user : undefined;
    });
  const idle = (user: number) => readers[user] === 0 && writers[user] === 0;
  const unwritten = (user: number) => writers[user] === 0;

  const get = async (n: number) => {
    const user = owner.get(n)!;
    readers[user]++;
    try {
      const s = await via(user).getSession(u.id(n));
      if (s?.id !== u.id(n)) throw new Error(`mix: getSession returned ${s?.id ?? null}`);
    } finally {
      readers[user]--;
    }
  };
  const write = async (user: number, fn: () => Promise<unknown>) => {
    writers[user]++;
    try {
      await fn();
    } finally {
      writers[user]--;
    }
  };

  const request = (op: MixOp): Promise<void> => {
    switch (op) {
      case "setSession": {
        const user = randomUser(idle);
        if (user === undefined) break;
        const n = next++;
        sessionsOf[user].push(n);
        owner.set(n, user);
        where.set(n, live.length);
        live.push(n);
        done.setSession++;
        return write(user, () => via(user).setSession(u.session(n, user)));
      }
      case "deleteSession": {
        const n = pick(() => {
          const n = live[Math.floor(rnd() * live.length)];
          return n !== undefined && idle(owner.get(n)!) ? n : undefined;
        });
        if (n === undefined) break;
        const user = owner.get(n)!;
        forget(n);
        done.deleteSession++;
        return write(user, () => via(user).deleteSession(u.id(n)));
      }
      case "getSessionsByUserId": {
        const user = randomUser(unwritten);
        if (user === undefined) break;
        const expected = sessionsOf[user].length;
        done.getSessionsByUserId++;
        readers[user]++;
        return via(user).getSessionsByUserId!(u.user(user)).then((list) => {
          readers[user]--;
          if (list.length !== expected) {
            throw new Error(`mix: getSessionsByUserId returned ${list.length} of ${expected}`);
          }
        });
      }
      case "deleteSessionsByUserId": {
        const user = randomUser(idle);
        if (user === undefined) break;
        for (const n of [...sessionsOf[user]]) forget(n);
        done.deleteSessionsByUserId++;
        return write(user, () => via(user).deleteSessionsByUserId!(u.user(user)));
      }
      case "getSession":
        break;
    }
    // getSession, or a request whose users were all busy (never at concurrency 1).
    const n = pick(() => {
      const n = live[Math.floor(rnd() * live.length)];
      return n !== undefined && unwritten(owner.get(n)!) ? n : undefined;
    });
    if (n === undefined) throw new Error("mix: no session left to read");
    done.getSession++;
    return get(n);
  };

  return {
    done,
    async seed(seeder, concurrency = 64) {
      const total = (users + warmUsers) * perUser;
      let i = 0;
      const worker = async () => {
        while (i < total) {
          const n = i++;
          await seeder.setSession(u.session(n));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
    },
    async warm() {
      // Every subject (connection) runs each kind of request twice: loads its scripts.
      for (const subject of subjects) {
        for (const user of [users, users + 1]) {
          for (let j = 0; j < 2; j++) {
            await subject.getSession(u.id(sessionsOf[user][0]));
            await subject.getSessionsByUserId!(u.user(user));
            await subject.setSession(u.session(next++, user));
          }
        }
      }
      for (const subject of subjects) {
        for (const user of [users, users + 1]) {
          const [, a, b] = sessionsOf[user];
          await subject.deleteSession(u.id(a));
          await subject.deleteSession(u.id(b));
          sessionsOf[user].splice(1, 2);
          await subject.deleteSessionsByUserId!(u.user(user));
        }
      }
    },
    run: (i) => request(schedule[i % schedule.length]),
  };
}
