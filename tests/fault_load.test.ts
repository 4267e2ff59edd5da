/**
 * Faults under load: the server killed and started again, connections killed again and again
 * (`CLIENT KILL`), the script cache flushed, a server gone for good. Every call settles, nothing
 * is left half-written, nothing that was acknowledged is lost, a resent write is not refused as
 * a duplicate, and the adapter works afterwards.
 *
 * Each scenario prints one line of figures (`fault: …`), collected in tests/README.md.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis4";
import { LuciaError } from "lucia-auth";
import redis, { DeadlineError, type SessionSchema } from "../mod.ts";
import { freshNamespaces, session, sleep } from "./harness.ts";
import { checkInvariants, type KillableServer, startKillableServer } from "./faults/harness.ts";
import { FAULT_CLIENTS } from "./faults/clients.ts";

const slow = { timeout: 60_000 };

/**
 * Runs calls of `call(i)` with `concurrency` in flight, at least `count` of them and for at least
 * `minMs`; records how each settled.
 */
async function load(
  count: number,
  concurrency: number,
  call: (i: number) => Promise<unknown>,
  minMs = 0,
): Promise<{ ok: number[]; failed: Map<number, unknown>; maxSettleMs: number; calls: number }> {
  const ok: number[] = [];
  const failed = new Map<number, unknown>();
  let next = 0;
  let maxSettleMs = 0;
  const until = performance.now() + minMs;
  const worker = async () => {
    while (next < count || performance.now() < until) {
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
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok, failed, maxSettleMs, calls: next };
}

/** Fails if `promise` has not settled within `ms`. */
async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: calls still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
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
      admin = createClient({ url: server.url });
      admin.on("error", () => {});
      await admin.connect();
    });
    after(async () => {
      await admin.disconnect().catch(() => {});
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const open = async (options: object = {}) => {
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
      slow,
      async () => {
        // With a deadline, as the README advises: every call settles whatever the client does.
        const { adapter, ns, close } = await open({ deadline: 2000 });
        const count = 2000;
        const outage = (async () => {
          await sleep(150);
          await server.kill();
          await sleep(400);
          await server.start();
        })();
        const [result] = await Promise.all([
          settlesWithin(
            load(count, 32, async (i) => {
              const id = `restart-${i}`;
              await adapter.setSession(session(id, `user${i % 20}`));
              if (i % 3 === 0) await adapter.getSessionsByUserId(`user${i % 20}`);
              if (i % 5 === 0) await adapter.deleteSession(id);
            }, 1200),
            20_000,
            kind.name,
          ),
          outage,
        ]);
        await admin.ping().catch(() => {}); // Reconnected by now.
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
            const again = await open();
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
            `${result.failed.size} rejected, all settled; max settle ${
              Math.round(result.maxSettleMs)
            } ms; ${live.size} sessions left, invariants hold${note}`,
        );
        await reopened?.close();
        await close();
      },
    );

    it(
      "CLIENT KILL every 50 ms: no false duplicate, and every acknowledged session stored whole",
      slow,
      async () => {
        const { adapter, ns, close } = await open();
        const count = 2000;
        let storming = true;
        let kills = 0;
        const storm = (async () => {
          const until = performance.now() + 1500;
          while (storming && performance.now() < until) {
            await sleep(50);
            await admin.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
            kills++;
          }
        })();
        const sessions = new Map<number, SessionSchema>();
        const result = await settlesWithin(
          load(count, 32, async (i) => {
            const s = session(`kill-${i}`, `user${i % 50}`);
            sessions.set(i, s);
            await adapter.setSession(s);
          }, 1500),
          30_000,
          kind.name,
        ).finally(() => storming = false);
        await storm;
        const live = await checkInvariants(admin, ns);
        const duplicates = [...result.failed.values()].filter((e) => e instanceof LuciaError);
        assert.deepEqual(duplicates, [], "a resent write must not be refused as a duplicate");
        for (const i of result.ok) {
          assert.ok(live.has(`kill-${i}`), `kill-${i} was acknowledged, so it is stored`);
          assert.equal(
            await admin.get(`${ns.session}:kill-${i}`),
            JSON.stringify({ user_id: `user${i % 50}`, ...sessions.get(i) }),
          );
        }
        console.log(
          `fault: CLIENT KILL every 50 ms, ${kind.name}: ${result.calls} setSession, ${kills} kills, ` +
            `${result.ok.length} ok, ${result.failed.size} rejected (connection errors), ` +
            `0 false duplicates; max settle ${Math.round(result.maxSettleMs)} ms; ` +
            `${live.size} sessions stored, all indexed`,
        );
        await close();
      },
    );

    it("SCRIPT FLUSH every 20 ms: every operation still succeeds", slow, async () => {
      const { adapter, ns, close } = await open();
      let flushing = true;
      let flushes = 0;
      const flusher = (async () => {
        while (flushing) {
          await sleep(20);
          await admin.sendCommand(["SCRIPT", "FLUSH"]);
          flushes++;
        }
      })();
      const count = 1500;
      const result = await load(count, 16, async (i) => {
        const id = `flush-${i}`;
        await adapter.setSession(session(id, `user${i % 10}`));
        await adapter.getSessionsByUserId(`user${i % 10}`);
        if (i % 2 === 0) await adapter.deleteSession(id);
        if (i % 97 === 0) await adapter.deleteSessionsByUserId(`user${i % 10}`);
      }).finally(() => flushing = false);
      await flusher;
      assert.equal(result.failed.size, 0, String([...result.failed.values()][0]));
      const live = await checkInvariants(admin, ns);
      console.log(
        `fault: SCRIPT FLUSH every 20 ms, ${kind.name}: ${count} rounds of operations, ` +
          `${flushes} flushes, 0 failed; ${live.size} sessions left, invariants hold`,
      );
      await close();
    });

    it(
      "with a deadline, calls to a server gone for good reject with a DeadlineError naming the operation",
      slow,
      async () => {
        const { adapter, close } = await open({ deadline: 300 });
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
          const results = await settlesWithin(Promise.allSettled(calls), 5_000, kind.name);
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
            if (error instanceof DeadlineError) assert.equal(error.deadline, 300);
          }
          assert.ok(elapsed < 2000, `settled in ${Math.round(elapsed)} ms`);
          console.log(
            `fault: server gone for good, ${kind.name}, deadline 300 ms: 5 calls, all rejected ` +
              `in ${Math.round(elapsed)} ms (${
                results.filter((r) => (r as PromiseRejectedResult).reason instanceof DeadlineError)
                  .length
              } by the deadline)`,
          );
        } finally {
          await close();
          await server.start();
          await admin.ping().catch(() => {});
        }
      },
    );
  });
}
