/**
 * The cluster path under a storm: logins, single deletes, sign-outs and duplicate ids racing each
 * other for a few users. Afterwards, against what is really in the cluster: no session created
 * before a sign-out began outlives it, every live session is in its owner's index, no key lacks
 * an expiry, every duplicate id was refused, and no sign-out deleted another user's session.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LuciaError } from "lucia-auth";
import redis from "../mod.ts";
import { CLUSTER_SETUPS, useRedisCluster } from "./helpers/cluster_harness.ts";
import { freshNamespaces, session } from "./helpers/harness.ts";
import { checkInvariants } from "./faults/harness.ts";

const USERS = ["u0", "u1", "u2", "u3"];

interface Timed {
  start: number;
  end: number;
  ok: boolean;
}

for (const name of ["a node-redis 5 cluster", "an ioredis 5 Cluster"]) {
  describe(`A storm of logins, deletes and sign-outs over ${name}`, () => {
    const ctx = useRedisCluster();

    it("keeps every promise of sign-out everywhere", { timeout: 60_000 }, async () => {
      const opened = await CLUSTER_SETUPS.find((s) => s.name === name)!.open(ctx.cluster);
      ctx.cleanups.push(() => opened.close());
      const ns = freshNamespaces();
      const adapter = redis(opened.client as Parameters<typeof redis>[0], {
        namespaces: { session: ns.session, userSession: ns.userSession },
        evictionWarning: false,
      })(LuciaError);
      // Sessions of another user that nothing deletes: the targets of the duplicate ids.
      const pinned = ["pin-a", "pin-b", "pin-c"];
      for (const id of pinned) await adapter.setSession(session(id, "pinned"));

      const logins = new Map<string, Timed & { user: string }>();
      const deletes = new Map<string, Timed>();
      const signOuts: (Timed & { user: string })[] = [];
      const duplicates: unknown[] = [];
      const timed = async <T>(work: () => Promise<T>): Promise<Timed> => {
        const start = performance.now();
        try {
          await work();
          return { start, end: performance.now(), ok: true };
        } catch {
          return { start, end: performance.now(), ok: false };
        }
      };
      let next = 0;
      const until = performance.now() + 2000;
      const worker = async () => {
        while (performance.now() < until) {
          const user = USERS[Math.floor(Math.random() * USERS.length)];
          const dice = Math.random();
          if (dice < 0.6) {
            const id = `s${next++}`;
            logins.set(id, { user, ...(await timed(() => adapter.setSession(session(id, user)))) });
          } else if (dice < 0.75) {
            const own = [...logins].filter(([, l]) => l.user === user && l.ok).map(([id]) => id);
            const id = own[Math.floor(Math.random() * own.length)];
            if (id !== undefined) deletes.set(id, await timed(() => adapter.deleteSession(id)));
          } else if (dice < 0.9) {
            signOuts.push({ user, ...(await timed(() => adapter.deleteSessionsByUserId(user))) });
          } else {
            const id = pinned[Math.floor(Math.random() * pinned.length)];
            duplicates.push(await adapter.setSession(session(id, user)).catch((error) => error));
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));

      const live = await checkInvariants(ctx.admin, ns);
      const broken: string[] = [];
      for (const [id, login] of logins) {
        if (!login.ok) continue;
        const alive = live.has(id);
        // A sign-out of this user that began after the login had completed must have removed it.
        const signedOutAfter = signOuts.some((s) =>
          s.user === login.user && s.ok && s.start > login.end
        );
        if (alive && signedOutAfter) broken.push(`${id} outlived a later sign-out`);
        // Nothing else may have removed it: not its deletion, not a sign-out of its user that
        // overlapped or followed its creation, and certainly not another user's sign-out.
        const removable = deletes.has(id) ||
          signOuts.some((s) => s.user === login.user && s.end > login.start);
        if (!alive && !removable) broken.push(`${id} of ${login.user} vanished`);
      }
      assert.deepEqual(broken, []);
      for (const result of duplicates) {
        assert.ok(
          result instanceof LuciaError && result.message === "AUTH_DUPLICATE_SESSION_ID",
          `a duplicate id was not refused: ${result}`,
        );
      }
      for (const id of pinned) assert.equal((await adapter.getSession(id))?.user_id, "pinned");
      assert.deepEqual(
        (await adapter.getSessionsByUserId("pinned")).map((s) => s.id).sort(),
        pinned,
      );
      console.log(
        `cluster storm, ${name}: ${logins.size} logins, ${deletes.size} deletes, ` +
          `${signOuts.length} sign-outs, ${duplicates.length} duplicate ids refused; ` +
          `${live.size} sessions alive, all indexed`,
      );
    });
  });
}
