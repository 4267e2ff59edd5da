/**
 * The contract suite and the connection checks over `@upstash/redis` (HTTP/REST), through the
 * test fixture in upstash_gateway.ts, which speaks Upstash's REST protocol in front of the same
 * private redis-server. Run with the client's default options (JSON parsing of replies on,
 * base64-encoded responses) and with each of those turned off: sessions come back exactly as
 * stored in every case.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import redis from "../mod.ts";
import { JSON_LOOKALIKES } from "./helpers/client_checks.ts";
import { clientSuites } from "./helpers/client_suites.ts";
import { freshNamespaces, keysUnder, useRedis } from "./helpers/harness.ts";
import { setupsIn } from "./helpers/setups.ts";
import { startUpstashGateway, type UpstashGateway } from "./helpers/upstash_gateway.ts";

clientSuites(setupsIn("Upstash"));

describe("The Upstash test gateway (a fixture speaking Upstash's REST protocol)", () => {
  const ctx = useRedis();
  let gateway: UpstashGateway;
  before(async () => {
    gateway = await startUpstashGateway(ctx.server.url);
  });
  after(() => gateway.close());

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(gateway.url + path, {
      method: "POST",
      headers: { Authorization: `Bearer ${gateway.token}`, ...headers },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };

  it("answers a command array with its result, strings in base64 when asked, except OK", async () => {
    const key = `${freshNamespaces().root}:k`;
    const b64 = { "Upstash-Encoding": "base64" };
    assert.deepEqual(await post("/", ["SET", key, "bär"]), { status: 200, body: { result: "OK" } });
    assert.deepEqual(await post("/", ["SET", key, "bär"], b64), {
      status: 200,
      body: { result: "OK" },
    });
    assert.deepEqual(await post("/", ["GET", key]), { status: 200, body: { result: "bär" } });
    assert.deepEqual(await post("/", ["GET", key], b64), {
      status: 200,
      body: { result: btoa("b\u00c3\u00a4r") },
    });
    assert.deepEqual(await post("/", ["EVAL", "return {1, 'OK', false}", 0], b64), {
      status: 200,
      body: { result: [1, btoa("OK"), null] },
    });
    assert.deepEqual(await post("/", ["DEL", key]), { status: 200, body: { result: 1 } });
  });

  it("answers a Redis error with HTTP 400 and Redis's message", async () => {
    assert.deepEqual(await post("/", ["EVALSHA", "0".repeat(40), "0"]), {
      status: 400,
      body: { error: "NOSCRIPT No matching script. Please use EVAL." },
    });
  });

  it("answers a pipeline with one result or error per command, in order", async () => {
    const key = `${freshNamespaces().root}:n`;
    assert.deepEqual(
      await post("/pipeline", [["INCR", key], ["HSET", key, "f", "v"], ["GET", key]], {
        "Upstash-Encoding": "base64",
      }),
      {
        status: 200,
        body: [
          { result: 1 },
          { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
          { result: btoa("1") },
        ],
      },
    );
    await post("/", ["DEL", key]);
  });

  it("refuses a request without the right bearer token with HTTP 401", async () => {
    const response = await fetch(gateway.url, {
      method: "POST",
      headers: { Authorization: "Bearer wrong" },
      body: JSON.stringify(["PING"]),
    });
    assert.equal(response.status, 401);
    assert.ok(typeof (await response.json()).error === "string");
  });

  it("the Upstash client asks it for base64 by default, and the adapter's data is in Redis", async () => {
    const ns = freshNamespaces();
    const client = new Redis({ url: gateway.url, token: gateway.token });
    const adapter = redis(client, {
      namespaces: { session: ns.session, userSession: ns.userSession },
      evictionWarning: false, // No INFO request beside the first operation.
    })();
    const before = gateway.requests.length;
    const now = Date.now();
    const session = {
      id: "42",
      user_id: "null",
      active_expires: now + 1000,
      idle_expires: now + 9e5,
    };
    await adapter.setSession(session);
    assert.deepEqual(await adapter.getSession("42"), session);
    const seen = gateway.requests.slice(before);
    assert.deepEqual(seen.map((r) => [r.path, r.base64, r.status]), [
      ["/", true, 200],
      ["/", true, 200],
    ]);
    assert.deepEqual(await keysUnder(ctx.admin, ns.root), [
      `${ns.session}:42`,
      `${ns.userSession}:null`,
    ]);
    assert.equal(
      await ctx.admin.get(`${ns.session}:42`),
      JSON.stringify({
        user_id: "null",
        id: "42",
        active_expires: now + 1000,
        idle_expires: now + 9e5,
      }),
    );
    await adapter.deleteSessionsByUserId("null");
  });

  it("without the adapter, the Upstash client's own get would have changed these ids", async () => {
    // Why the adapter reads through the requester: the client's get JSON-parses by default.
    const ns = freshNamespaces();
    const client = new Redis({ url: gateway.url, token: gateway.token });
    const changed = [];
    for (const value of JSON_LOOKALIKES) {
      await ctx.admin.set(`${ns.root}:v`, value);
      const got = await client.get(`${ns.root}:v`);
      if (got !== value) changed.push(value);
    }
    await ctx.admin.del(`${ns.root}:v`);
    assert.ok(changed.length >= 5, `JSON.parse changed only ${JSON.stringify(changed)}`);
  });
});
