/**
 * The `instructions` and `variants` modes, on a redis-server under callgrind (callgrind.ts):
 * instructions per request of each subject's operations and the mix, and of the script variants
 * of variants.ts. Requests run one at a time (each its own round trip), so the server does the
 * same work in the same order in every run: the counts repeat.
 *
 * @module
 */
import { serializeSession } from "../../src/core/session.ts";
import type { Admin } from "../../bench/load/clients.ts";
import { check, log } from "../../bench/load/common.ts";
import { INDEX_PREFIX, rawSender, SESSION_PREFIX } from "../../bench/subjects.ts";
import type { CallgrindServer } from "./callgrind.ts";
import { type Cell, cellLabel, hasOp, prepareCell, seed } from "./cells.ts";
import { clock, Universe } from "./data.ts";
import type { ServerFamily } from "./family.ts";
import { scriptCaller } from "./floor.ts";
import type { InstructionRecord, ServerConfig } from "./types.ts";
import { type Args, type Variant, VARIANTS } from "./variants.ts";

/**
 * A flushed database and a new Lua interpreter (`SCRIPT FLUSH` replaces it): each cell starts
 * from the same state, with only its own scripts loaded.
 */
async function fresh(admin: Admin): Promise<void> {
  // The same stored times in every run: 14 days after the run's day began (UTC).
  clock.base ??= Math.floor(Date.now() / 86_400_000) * 86_400_000 + 14 * 86_400_000;
  await admin.send(["FLUSHALL", "SYNC"]);
  await admin.send(["SCRIPT", "FLUSH", "SYNC"]);
}

async function measure(
  server: CallgrindServer,
  admin: Admin,
  cell: Cell,
): Promise<{ total: number; cron: number }> {
  await cell.warm();
  // Every cell starts from a fully collected Lua heap, so that the garbage earlier cells left
  // does not decide when this one's collection steps run.
  await admin.send(["EVAL", "collectgarbage('collect') return 0", "0"]);
  await server.dump(); // zeroes the counts
  for (let i = 0; i < cell.count; i++) await cell.run(i);
  const counted = await server.dump();
  await cell.verify();
  return counted;
}

/** Instructions per request of each subject's operations (and the mix). */
export async function instructionsMode(
  config: ServerConfig,
  server: CallgrindServer,
  family: ServerFamily,
  admin: Admin,
): Promise<InstructionRecord[]> {
  const out: InstructionRecord[] = [];
  for (const [c, spec] of config.instructions.cells.entries()) {
    const label = cellLabel(spec);
    const t = performance.now();
    for (let repeat = 0; repeat < config.instructions.repeats; repeat++) {
      for (const key of config.instructions.subjects) {
        const { subject } = family.make(key);
        if (!hasOp(subject, spec) || (key === "floor" && spec.op === "getSession")) continue;
        await fresh(admin);
        const seeder = family.seederFor(key, label, subject);
        // The same seed in every repeat: the same requests, so the counts can be compared.
        const cell = await prepareCell(spec, subject, seeder, spec.size, 9000 + c);
        const { total, cron } = await measure(server, admin, cell);
        out.push({ op: label, subject: key, repeat, ops: cell.count, total, cron });
      }
    }
    log(`instructions ${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return out;
}

/** A cell running one variant of variants.ts on this adapter's layout. */
async function variantCell(
  v: Variant,
  family: ServerFamily,
  size: number,
  seedNo: number,
): Promise<Cell> {
  const send = rawSender(family.client);
  const call = scriptCaller(send);
  const ours = family.make("ours").subject;
  const u = new Universe(seedNo, 10);
  const run = (keys: string[], args: Record<Args, string[]>) => {
    if (v.call.kind === "sort") {
      return send(["SORT_RO", keys[0], "BY", "nosort", "GET", "#", "GET", SESSION_PREFIX + "*"]);
    }
    return call(v.call.source, keys, args[v.call.args]);
  };
  const name = `${v.chain} ${v.label}`;
  switch (v.chain) {
    case "setSession": {
      const write = async (n: number) => {
        const s = u.session(n);
        const r = serializeSession(s);
        const at = String(r.expiresAt);
        const reply = await run([SESSION_PREFIX + s.id, INDEX_PREFIX + s.user_id], {
          prev: [r.json, at, s.id, SESSION_PREFIX],
          current: [r.json, at, s.id, SESSION_PREFIX, s.user_id, "0"],
          floor: [r.json, at, s.id],
        });
        check(reply === 1, `${name}: replied ${JSON.stringify(reply)}`);
      };
      return {
        count: size,
        warm: () => write(size + 10).then(() => write(size + 11)),
        run: write,
        verify: async () => {
          const score = await send(["ZSCORE", INDEX_PREFIX + u.user(0), u.id(0)]);
          check(score !== null && (await send(["EXISTS", SESSION_PREFIX + u.id(0)])) === 1, name);
        },
      };
    }
    case "deleteSession": {
      const users = Math.ceil(size / 5) + 1;
      await seed(ours, u, users * 10);
      const remove = async (n: number) => {
        const id = u.id(n);
        await run([SESSION_PREFIX + id], {
          prev: [INDEX_PREFIX, SESSION_PREFIX, id],
          current: [INDEX_PREFIX, SESSION_PREFIX, id],
          floor: [INDEX_PREFIX, id],
        });
      };
      const nth = (i: number) => Math.floor(i / 5) * 10 + 2 * (i % 5) + 1;
      return {
        count: size,
        warm: () => remove((users - 1) * 10 + 1).then(() => remove((users - 1) * 10 + 3)),
        run: (i) => remove(nth(i)),
        verify: async () => {
          check((await send(["EXISTS", SESSION_PREFIX + u.id(1)])) === 0, `${name}: left it`);
          check((await send(["ZSCORE", INDEX_PREFIX + u.user(0), u.id(1)])) === null, name);
          check((await send(["ZCARD", INDEX_PREFIX + u.user(0)])) === 5, `${name}: index`);
        },
      };
    }
    case "getSessionsByUserId(10)": {
      const users = Math.max(1, Math.min(size, 200));
      await seed(ours, u, users * 10);
      const list = async (i: number) => {
        const user = u.user(i % users);
        const reply = await run([INDEX_PREFIX + user], {
          prev: [SESSION_PREFIX],
          current: [SESSION_PREFIX, user],
          floor: [SESSION_PREFIX],
        }) as unknown[];
        const got = v.call.kind === "sort" ? reply.length / 2 : (reply[0] as unknown[]).length;
        check(got === 10, `${name}: listed ${got}`);
      };
      return {
        count: size,
        warm: () => list(0).then(() => list(1)),
        run: list,
        verify: async () => {},
      };
    }
    case "deleteSessionsByUserId(10)": {
      await seed(ours, u, (size + 2) * 10);
      const wipe = async (user: number) => {
        const id = u.user(user);
        await run([INDEX_PREFIX + id], {
          prev: [SESSION_PREFIX],
          current: [SESSION_PREFIX, id],
          floor: [SESSION_PREFIX],
        });
      };
      return {
        count: size,
        warm: () => wipe(size).then(() => wipe(size + 1)),
        run: wipe,
        verify: async () => {
          check((await send(["EXISTS", INDEX_PREFIX + u.user(0)])) === 0, `${name}: index left`);
          check((await send(["EXISTS", SESSION_PREFIX + u.id(0)])) === 0, `${name}: session left`);
        },
      };
    }
  }
}

/** Instructions per request of every variant of every chain. */
export async function variantsMode(
  config: ServerConfig,
  server: CallgrindServer,
  family: ServerFamily,
  admin: Admin,
): Promise<InstructionRecord[]> {
  const out: InstructionRecord[] = [];
  const t = performance.now();
  for (let repeat = 0; repeat < config.instructions.repeats; repeat++) {
    for (const v of VARIANTS) {
      const size = config.instructions.variantSize[v.chain] ?? 100;
      await fresh(admin);
      const cell = await variantCell(v, family, size, 9500);
      const { total, cron } = await measure(server, admin, cell);
      out.push({ op: v.chain, subject: v.label, repeat, ops: size, total, cron });
    }
  }
  log(`variants: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return out;
}
