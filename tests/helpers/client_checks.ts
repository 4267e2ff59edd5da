/**
 * Checks of a client's connection that the contract suite does not make: how its replies are
 * normalised, that Redis errors reach the caller as the client's own error with Redis's
 * message, that the scripts are reloaded after Redis loses them (NOSCRIPT), and that values
 * JSON would change come back exactly. Each client's test file calls {@linkcode clientChecks}
 * next to `contractSuite`.
 *
 * @module
 */
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { LuciaError } from "lucia-auth";
import redis from "../../mod.ts";
import { toConnection } from "../../src/clients/table.ts";
import * as commands from "../../src/clients/commands.ts";
import type { OpenedClient } from "../contract/suite.ts";
import { keysUnder, type RedisServer, useRedis } from "./harness.ts";
import { adapterNamespaces, freshKeyspace } from "../contract/fixture.ts";

const HOUR = 60 * 60 * 1000;

/** Ids and values that `JSON.parse` (Upstash's default) would turn into something else. */
export const JSON_LOOKALIKES = ["42", "null", "true", "[1]", "{}", '"quoted"', "1e3", "-0", " 7 "];

/** Defines the per-client checks for one client. `open` connects a client to the server. */
export function clientChecks(
  clientName: string,
  open: (server: RedisServer) => Promise<OpenedClient>,
): void {
  describe(`The ${clientName} connection`, () => {
    const ctx = useRedis();
    let client: unknown;
    let keyPrefix: string | undefined;
    before(async () => {
      const opened = await open(ctx.server);
      client = opened.client;
      keyPrefix = opened.keyPrefix;
      ctx.cleanups.push(() => opened.close());
    });
    // Namespaces as Redis holds them: under the client's keyPrefix, if it has one.
    const fresh = () => freshKeyspace(keyPrefix);
    const adapterFor = (ns: ReturnType<typeof fresh>) =>
      redis(client as Parameters<typeof redis>[0], {
        namespaces: adapterNamespaces(ns, keyPrefix),
      })(LuciaError);

    it("normalises replies: nil to null, integers to numbers, nested arrays kept", async () => {
      const connection = toConnection(client);
      const ns = fresh();
      assert.equal(await connection.send(commands.get(`${ns.root}:missing`)), null);
      assert.deepEqual(
        await connection.send(commands.eval("return {1, 'a', false, {'b', 2}, ''}", [], [])),
        [1, "a", null, ["b", 2], ""],
      );
      assert.equal(await connection.send(commands.eval("return 'OK'", [], [])), "OK");
      assert.equal(await connection.send(commands.eval("return 'T0s='", [], [])), "T0s=");
    });

    it("a Redis error rejects with the client's own Error, Redis's message intact", async () => {
      const connection = toConnection(client);
      await assert.rejects(
        connection.send(commands.evalsha("0".repeat(40), [], [])),
        (error: unknown) => {
          assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
          assert.match(error.message, /NOSCRIPT/);
          return true;
        },
      );
    });

    it("after Redis loses the scripts (SCRIPT FLUSH), every operation reloads them and works", async () => {
      const ns = fresh();
      const adapter = adapterFor(ns);
      const now = Date.now();
      const s = (id: string) => ({
        id,
        user_id: "u",
        active_expires: now + HOUR / 2,
        idle_expires: now + HOUR,
      });
      // Load every script once, then make Redis forget them.
      await adapter.setSession(s("a"));
      await adapter.getSessionsByUserId("u");
      await adapter.deleteSession("a");
      await adapter.deleteSessionsByUserId("u");
      await ctx.admin.sendCommand(["SCRIPT", "FLUSH"]);
      await adapter.setSession(s("b"));
      await adapter.setSession(s("c"));
      assert.deepEqual((await adapter.getSessionsByUserId("u")).map((x) => x.id).sort(), [
        "b",
        "c",
      ]);
      await ctx.admin.sendCommand(["SCRIPT", "FLUSH"]);
      await adapter.deleteSession("b");
      await ctx.admin.sendCommand(["SCRIPT", "FLUSH"]);
      await adapter.deleteSessionsByUserId("u");
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });

    it("ids and fields that JSON.parse would change come back exactly as stored", async () => {
      const ns = fresh();
      const adapter = adapterFor(ns);
      const now = Date.now();
      for (const [i, id] of JSON_LOOKALIKES.entries()) {
        const session = {
          id,
          user_id: JSON_LOOKALIKES[(i + 1) % JSON_LOOKALIKES.length],
          active_expires: now + HOUR / 2,
          idle_expires: now + HOUR + i,
          note: id,
        };
        await adapter.setSession(session);
        assert.deepEqual(await adapter.getSession(id), session);
        assert.deepEqual(await adapter.getSessionsByUserId(session.user_id), [session]);
        const stored = await ctx.admin.get(`${ns.session}:${id}`);
        // Stored as given, user_id first (so that scripts can read the owner without decoding).
        const { user_id, ...rest } = session;
        assert.equal(stored, JSON.stringify({ user_id, ...rest }));
      }
      for (const id of JSON_LOOKALIKES) await adapter.deleteSessionsByUserId(id);
      assert.deepEqual(await keysUnder(ctx.admin, ns.root), []);
    });
  });
}
