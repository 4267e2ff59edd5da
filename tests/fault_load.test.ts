/**
 * Faults under load: the server killed and started again, connections killed again and again
 * (`CLIENT KILL`), the script cache flushed, a server gone for good. Every call settles, nothing
 * is left half-written, nothing that was acknowledged is lost, a resent write is not refused as
 * a duplicate, and the adapter works afterwards. A frozen server stands for a client stuck after a
 * fault (node-redis 5.9, seen after a SIGKILL and under `CLIENT KILL`): every call then lasts its
 * whole deadline.
 *
 * Every scenario runs its calls under the adapter's `deadline`, so that every call settles
 * whatever the client does, and every time budget (how long the calls may stay pending, each
 * test's timeout) is derived from the scenario's own plan in tests/faults/budget.ts: its
 * deadline, its calls and how many run at once, how long its fault lasts. None is a fixed wall
 * clock, which a loaded machine or a stuck client would overrun.
 *
 * Each scenario prints one line of figures (`fault: …`); tests/README.md describes them.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis4";
import { LuciaError } from "lucia-auth";
import redis, { DeadlineError, type SessionSchema } from "../mod.ts";
import { freshNamespaces, session, sleep } from "./helpers/harness.ts";
import {
  checkInvariants,
  type KillableServer,
  START_BUDGET_MS,
  startKillableServer,
} from "./faults/harness.ts";
import { FAULT_CLIENTS } from "./faults/clients.ts";
import {
  callBudget,
  describeBudget,
  loadBudget,
  type LoadPlan,
  MAX_LOAD_CALLS,
  SLACK_MS,
  testTimeout,
} from "./faults/budget.ts";

/** The server killed (SIGKILL) after OUTAGE.afterMs of load, and started again OUTAGE.downMs later. */
const OUTAGE = { afterMs: 150, downMs: 400 };
/** The longest the outage can take: the wait, the time down, and the restart. */
const OUTAGE_BUDGET_MS = OUTAGE.afterMs + OUTAGE.downMs + START_BUDGET_MS;
/**
 * Logins (setSession, then every third lists the user's sessions and every fifth signs out) under
 * the README's deadline while the server is killed and started again. At least 640 calls (20
 * rounds of 32: a stuck client spends a deadline on each round), for at least 1.2 s, which
 * covers the outage and the reconnection.
 */
const RESTART: LoadPlan = {
  calls: 640,
  minMs: 1_200,
  concurrency: 32,
  deadline: 2_000,
  opsPerCall: 3,
};
/** After the load: a probe, then (on a new client if the first stayed stuck) three operations. */
const RESTART_AFTER_OPS = 4;

/** `CLIENT KILL TYPE normal` every STORM.everyMs, for STORM.forMs. */
const STORM = { everyMs: 50, forMs: 1_500 };
/**
 * setSession calls during the storm, for as long as it lasts. The deadline is above the slowest
 * settle seen (ioredis resending after reconnecting: 1.6 s on a loaded machine), so that a
 * resent write refused as a duplicate would still be seen.
 */
const KILLS: LoadPlan = {
  calls: 480,
  minMs: STORM.forMs,
  concurrency: 32,
  deadline: 3_000,
  opsPerCall: 1,
};

/** `SCRIPT FLUSH` every FLUSH_EVERY_MS while the load runs. */
const FLUSH_EVERY_MS = 20;
/**
 * Rounds of the four kinds of operation while the script cache is flushed again and again: at
 * least 512, for at least 600 ms (some 30 flushes).
 */
const FLUSHES: LoadPlan = {
  calls: 512,
  minMs: 600,
  concurrency: 32,
  deadline: 2_000,
  opsPerCall: 4,
};

/** Every operation once, at once, to a server killed for good. */
const GONE: LoadPlan = { calls: 5, minMs: 0, concurrency: 5, deadline: 300, opsPerCall: 1 };

/**
 * setSession calls to a frozen server: every one lasts its whole deadline, as with a stuck
 * client, so the load takes ceil(calls / concurrency) deadlines (4 rounds of 300 ms).
 */
const FROZEN: LoadPlan = { calls: 64, minMs: 0, concurrency: 16, deadline: 300, opsPerCall: 1 };
/** The deadline of the operations after a frozen server is let go on. */
const AFTER_FREEZE_DEADLINE = 2_000;

/** Sessions checked at once against what Redis holds (the admin client pipelines them). */
const CHECK_BATCH = 256;

/**
 * Runs calls of `call(i)` as `plan` says: `plan.concurrency` in flight, at least `plan.calls` of
 * them and for at least `plan.minMs`, at most MAX_LOAD_CALLS; records how each settled.
 */
async function load(
  plan: LoadPlan,
  call: (i: number) => Promise<unknown>,
): Promise<{ ok: number[]; failed: Map<number, unknown>; maxSettleMs: number; calls: number }> {
  const ok: number[] = [];
  const failed = new Map<number, unknown>();
  let next = 0;
  let maxSettleMs = 0;
  const until = performance.now() + plan.minMs;
  const worker = async () => {
    while ((next < plan.calls || performance.now() < until) && next < MAX_LOAD_CALLS) {
      const i = next++;
      const started = performance.now();
      try {
        await call(i);
        ok.push(i);
      } catch (error) {
        failed.set(i, error);
      }
      maxSettleMs = Math.max(maxSettleMs, performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  return { ok, failed, maxSettleMs, calls: next };
}

/** Fails if the load of `plan` has not settled within its budget (see tests/faults/budget.ts). */
async function settlesWithin<T>(promise: Promise<T>, plan: LoadPlan, what: string): Promise<T> {
  const ms = loadBudget(plan);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`${what}: calls still pending after ${ms} ms (${describeBudget(plan)})`),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** How many of `errors` are DeadlineErrors. */
function byDeadline(errors: Iterable<unknown>): number {
  return [...errors].filter((e) => e instanceof DeadlineError).length;
}

for (const kind of FAULT_CLIENTS) {
  describe(`Faults under load, over ${kind.name}`, { skip: kind.skip }, () => {
    let server: KillableServer;
    let dir: string;
    let admin: ReturnType<typeof createClient>;
    before(async () => {
      // Persistence on, so that a crash tests what survives it: every script is one
      // MULTI/EXEC in the append-only file, replayed whole or not at all.
      dir = mkdtempSync(join(tmpdir(), "adapter-faults-"));
      server = await startKillableServer([
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        dir,
      ]);
      await connectAdmin();
    }, { timeout: START_BUDGET_MS + SLACK_MS });
    /** The inspection client, on a connection of its own opened now (after any restart). */
    const connectAdmin = async () => {
      await admin?.disconnect().catch(() => {});
      admin = createClient({ url: server.url });
      admin.on("error", () => {});
      await admin.connect();
    };
    after(async () => {
      await admin.disconnect().catch(() => {});
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const open = async (options: { deadline: number }) => {
      const opened = await kind.open(server.url);
      const ns = freshNamespaces();
      const adapter = redis(opened.client as Parameters<typeof redis>[0], {
        namespaces: { session: ns.session, userSession: ns.userSession },
        evictionWarning: false,
        ...options,
      })(LuciaError);
      return { ...opened, ns, adapter };
    };

    it(
      "a server killed and started again mid-load: every call settles, nothing half-written, acknowledged writes kept",
      testTimeout(
        RESTART,
        OUTAGE_BUDGET_MS + RESTART_AFTER_OPS * callBudget({ ...RESTART, opsPerCall: 1 }),
      ),
      async () => {
        // With a deadline, as the README advises: every call settles whatever the client does.
        const { adapter, ns, close } = await open({ deadline: RESTART.deadline });
        const outage = (async () => {
          await sleep(OUTAGE.afterMs);
          await server.kill();
          await sleep(OUTAGE.downMs);
          await server.start();
        })();
        const [result] = await Promise.all([
          settlesWithin(
            load(RESTART, async (i) => {
              const id = `restart-${i}`;
              await adapter.setSession(session(id, `user${i % 20}`));
              if (i % 3 === 0) await adapter.getSessionsByUserId(`user${i % 20}`);
              if (i % 5 === 0) await adapter.deleteSession(id);
            }),
            RESTART,
            kind.name,
          ),
          outage,
        ]);
        // Not the admin client's old connection, which went through the kill: a client can stay
        // stuck after one (node-redis 5.9 does), and the checks below have no deadline.
        await connectAdmin();
        const live = await checkInvariants(admin, ns);
        for (const i of result.ok) {
          const stored = live.has(`restart-${i}`);
          assert.equal(stored, i % 5 !== 0, `restart-${i}: acknowledged, so it must be as left`);
        }
        for (const error of result.failed.values()) {
          assert.ok(!(error instanceof LuciaError), `no false duplicate: ${error}`);
        }
        // Works afterwards (the scripts are loaded again). node-redis 5.9 sometimes comes back
        // from a server killed with SIGKILL reporting itself ready with no live connection, and
        // then every command waits forever (seen with node-redis alone, without the adapter): the
        // deadline turns that into DeadlineErrors, and the adapter is then checked over a new
        // client of the same kind.
        let after = adapter, note = "";
        const reopened = await (async () => {
          try {
            await adapter.getSession("probe");
            return undefined;
          } catch (error) {
            if (!(error instanceof DeadlineError)) throw error;
            const again = await open({ deadline: RESTART.deadline });
            after = again.adapter;
            note = "; the client stayed stuck after the restart (a node-redis 5.9 fault), " +
              "checked over a new one";
            return again;
          }
        })();
        await after.setSession(session("after", "u"));
        assert.equal((await after.getSessionsByUserId("u")).length, 1);
        await after.deleteSessionsByUserId("u");
        console.log(
          `fault: restart mid-load, ${kind.name}: ${result.calls} logins, ${result.ok.length} ok, ` +
            `${result.failed.size} rejected (${byDeadline(result.failed.values())} by the ` +
            `deadline), all settled; max settle ${Math.round(result.maxSettleMs)} ms; ` +
            `${live.size} sessions left, invariants hold${note}`,
        );
        await reopened?.close();
        await close();
      },
    );

    it(
      "CLIENT KILL every 50 ms: no false duplicate, and every acknowledged session stored whole",
      testTimeout(KILLS, STORM.forMs),
      async () => {
        // With a deadline: node-redis 5.9 can get stuck under CLIENT KILL too.
        const { adapter, ns, close } = await open({ deadline: KILLS.deadline });
        let storming = true;
        let kills = 0;
        const storm = (async () => {
          const until = performance.now() + STORM.forMs;
          while (storming && performance.now() < until) {
            await sleep(STORM.everyMs);
            await admin.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
            kills++;
          }
        })();
        const sessions = new Map<number, SessionSchema>();
        const result = await settlesWithin(
          load(KILLS, async (i) => {
            const s = session(`kill-${i}`, `user${i % 50}`);
            sessions.set(i, s);
            await adapter.setSession(s);
          }),
          KILLS,
          kind.name,
        ).finally(() => storming = false);
        await storm;
        const live = await checkInvariants(admin, ns);
        const duplicates = [...result.failed.values()].filter((e) => e instanceof LuciaError);
        assert.deepEqual(duplicates, [], "a resent write must not be refused as a duplicate");
        for (let at = 0; at < result.ok.length; at += CHECK_BATCH) {
          await Promise.all(
            result.ok.slice(at, at + CHECK_BATCH).map(async (i) => {
              assert.ok(live.has(`kill-${i}`), `kill-${i} was acknowledged, so it is stored`);
              assert.equal(
                await admin.get(`${ns.session}:kill-${i}`),
                JSON.stringify({ user_id: `user${i % 50}`, ...sessions.get(i) }),
              );
            }),
          );
        }
        console.log(
          `fault: CLIENT KILL every 50 ms, ${kind.name}: ${result.calls} setSession, ${kills} kills, ` +
            `${result.ok.length} ok, ${result.failed.size} rejected (connection errors; ` +
            `${byDeadline(result.failed.values())} by the deadline), 0 false duplicates; ` +
            `max settle ${Math.round(result.maxSettleMs)} ms; ${live.size} sessions stored, ` +
            `all indexed`,
        );
        await close();
      },
    );

    it(
      "SCRIPT FLUSH every 20 ms: every operation still succeeds",
      testTimeout(FLUSHES),
      async () => {
        const { adapter, ns, close } = await open({ deadline: FLUSHES.deadline });
        let flushing = true;
        let flushes = 0;
        const flusher = (async () => {
          while (flushing) {
            await sleep(FLUSH_EVERY_MS);
            await admin.sendCommand(["SCRIPT", "FLUSH"]);
            flushes++;
          }
        })();
        const result = await settlesWithin(
          load(FLUSHES, async (i) => {
            const id = `flush-${i}`;
            await adapter.setSession(session(id, `user${i % 10}`));
            await adapter.getSessionsByUserId(`user${i % 10}`);
            if (i % 2 === 0) await adapter.deleteSession(id);
            if (i % 97 === 0) await adapter.deleteSessionsByUserId(`user${i % 10}`);
          }),
          FLUSHES,
          kind.name,
        ).finally(() => flushing = false);
        await flusher;
        assert.equal(result.failed.size, 0, String([...result.failed.values()][0]));
        const live = await checkInvariants(admin, ns);
        console.log(
          `fault: SCRIPT FLUSH every 20 ms, ${kind.name}: ${result.calls} rounds of operations, ` +
            `${flushes} flushes, 0 failed; ${live.size} sessions left, invariants hold`,
        );
        await close();
      },
    );

    it(
      "a frozen server (as a stuck client): every call settles by its deadline, the load within its budget",
      testTimeout(FROZEN, callBudget({ ...FROZEN, deadline: AFTER_FREEZE_DEADLINE })),
      async () => {
        const { adapter, client, ns, close } = await open({ deadline: FROZEN.deadline });
        await adapter.setSession(session("before", "u")); // Connected, the scripts loaded.
        server.freeze();
        const started = performance.now();
        let result;
        try {
          result = await settlesWithin(
            load(FROZEN, (i) => adapter.setSession(session(`frozen-${i}`, `user${i % 8}`))),
            FROZEN,
            kind.name,
          );
        } finally {
          server.resume();
        }
        const elapsed = performance.now() - started;
        assert.equal(result.ok.length, 0, "nothing can be acknowledged by a frozen server");
        for (const error of result.failed.values()) {
          assert.ok(error instanceof DeadlineError, String(error));
          assert.equal(error.deadline, FROZEN.deadline);
        }
        // What the budget rests on: a stuck load takes a deadline per round of calls.
        const rounds = Math.ceil(FROZEN.calls / FROZEN.concurrency);
        assert.ok(elapsed >= rounds * FROZEN.deadline, `${Math.round(elapsed)} ms`);
        // Let go on, the server runs the writes it was sent meanwhile, each whole; the same
        // connection then serves a new write after them.
        const later = redis(client as Parameters<typeof redis>[0], {
          namespaces: { session: ns.session, userSession: ns.userSession },
          evictionWarning: false,
          deadline: AFTER_FREEZE_DEADLINE,
        })(LuciaError);
        await later.setSession(session("after", "u"));
        const live = await checkInvariants(admin, ns);
        assert.ok(live.has("before") && live.has("after"));
        const applied = [...live.keys()].filter((id) => id.startsWith("frozen-")).length;
        console.log(
          `fault: frozen server, ${kind.name}, deadline ${FROZEN.deadline} ms: ` +
            `${result.calls} setSession, ${FROZEN.concurrency} at once, all rejected by the ` +
            `deadline in ${Math.round(elapsed)} ms (${rounds} rounds; budget ` +
            `${loadBudget(FROZEN)} ms); ${applied} of them applied after, whole; invariants hold`,
        );
        await close();
      },
    );

    it(
      "with a deadline, calls to a server gone for good reject with a DeadlineError naming the operation",
      testTimeout(GONE, START_BUDGET_MS),
      async () => {
        const { adapter, close } = await open({ deadline: GONE.deadline });
        await adapter.setSession(session("before", "u"));
        await server.kill();
        try {
          const started = performance.now();
          const calls = [
            adapter.getSession("before"),
            adapter.setSession(session("during", "u")),
            adapter.getSessionsByUserId("u"),
            adapter.deleteSession("before"),
            adapter.deleteSessionsByUserId("u"),
          ];
          assert.equal(calls.length, GONE.calls);
          const results = await settlesWithin(Promise.allSettled(calls), GONE, kind.name);
          const elapsed = performance.now() - started;
          const operations = [
            "getSession",
            "setSession",
            "getSessionsByUserId",
            "deleteSession",
            "deleteSessionsByUserId",
          ];
          for (const [i, r] of results.entries()) {
            assert.equal(r.status, "rejected");
            const error = (r as PromiseRejectedResult).reason;
            // Either the deadline, or the client's own error when it fails faster.
            assert.ok(error instanceof Error && "operation" in error, String(error));
            assert.equal((error as { operation: string }).operation, operations[i]);
            if (error instanceof DeadlineError) assert.equal(error.deadline, GONE.deadline);
          }
          // All at once: one deadline, not the client's own timeouts (5 s and more).
          assert.ok(elapsed < callBudget(GONE), `settled in ${Math.round(elapsed)} ms`);
          console.log(
            `fault: server gone for good, ${kind.name}, deadline ${GONE.deadline} ms: 5 calls, ` +
              `all rejected in ${Math.round(elapsed)} ms (${
                byDeadline(results.map((r) => (r as PromiseRejectedResult).reason))
              } by the deadline)`,
          );
        } finally {
          await close();
          await server.start();
          await connectAdmin();
        }
      },
    );
  });
}
