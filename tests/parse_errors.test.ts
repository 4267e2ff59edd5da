/**
 * A stored session that is not JSON. The adapter's error names the key with only the start of
 * the id (README, "Errors"), and nothing the error carries — message, stack, cause, recursively —
 * quotes the stored value, which holds the whole id: a runtime's own SyntaxError would (Bun's
 * quotes a whole token, such as the id; V8's up to 10 characters of the input).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LuciaError } from "lucia-auth";
import redis, { InvalidSessionDataError } from "../mod.ts";
import redisV2 from "../v2.ts";
import { shortId } from "../src/core/errors.ts";
import { jsonFault, notJson } from "../src/core/session.ts";
import { freshNamespaces, session, useRedis } from "./helpers/harness.ts";
import { FAULT_CLIENTS } from "./faults/clients.ts";

/** A 40-character id, as Lucia makes them; random, so that no stack frame or path holds a piece. */
function luciaId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from({ length: 40 }, () => alphabet[Math.floor(Math.random() * 36)]).join("");
}

/** How many characters of a 40-character id an error may show (README: at most 6). */
const SHOWN = shortId("x".repeat(40)).length - 1;

/** Stored values that are not JSON, each holding the id somewhere. */
function corruptValues(id: string): string[] {
  return [
    `${id} garbage`, // Bun: Unexpected identifier "<the whole id>"
    `"${id}" garbage`,
    `{"user_id":"u","id":"${id}",garbage}`,
    `{"user_id":"u","id":"${id}`,
    `["${id}"`,
    `{"user_id":"u","id":"${id}","idle_expires":1e}`,
    `${"[".repeat(3)}${id}]]]`,
    `{"user_id":"u","id":"\\q${id}"}`,
  ];
}

/**
 * Where an error, its cause, and anything else it holds (recursively) shows more of `id` than
 * its first SHOWN characters: every piece of SHOWN + 1 characters of the id is looked for in
 * every message, stack, string form and string property.
 */
function leaksOf(error: unknown, id: string): string[] {
  const pieces = Array.from({ length: id.length - SHOWN }, (_, i) => id.slice(i, i + SHOWN + 1));
  const found: string[] = [];
  const seen = new Set<unknown>();
  const look = (value: unknown, path: string) => {
    if (typeof value === "string") {
      const piece = pieces.find((p) => value.includes(p));
      if (piece !== undefined) found.push(`${path} holds "${piece}": ${value.slice(0, 200)}`);
      return;
    }
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Error) {
      look(String(value), `${path} as a string`);
      look(value.message, `${path}.message`);
      look(value.stack, `${path}.stack`);
      look(value.cause, `${path}.cause`);
    }
    for (const key of Object.getOwnPropertyNames(value)) {
      look((value as Record<string, unknown>)[key], `${path}.${key}`);
    }
  };
  look(error, "error");
  return found;
}

/** Asserts that `work` rejects with an InvalidSessionDataError that keeps the id to itself. */
async function rejectsWithoutTheId(work: Promise<unknown>, key: string, id: string, raw: string) {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof InvalidSessionDataError, `${raw}: ${error}`);
    assert.equal(error.key, key);
    assert.match(error.message, /it is not valid JSON$/);
    assert.deepEqual(leaksOf(error, id), [], raw);
    const cause = error.cause;
    assert.ok(cause instanceof SyntaxError, `${raw}: the cause is a SyntaxError`);
    assert.match(cause.message, /^not JSON: [A-Za-z \\]+ at position \d+ of \d+ characters$/);
    assert.equal(cause.cause, undefined);
    return true;
  });
}

describe("The parse error of a stored value that is not JSON", () => {
  it("says what is wrong, where, and how long the value is, quoting none of it", () => {
    const id = `q${luciaId().slice(1)}`; // A letter first: "<digit>… garbage" starts as a number.
    assert.equal(
      notJson(`${id} garbage`).message,
      "not JSON: unexpected character where a value was expected at position 0 of 48 characters",
    );
    assert.equal(
      notJson(`"${id}" garbage`).message,
      "not JSON: unexpected character after the JSON value at position 43 of 50 characters",
    );
    assert.equal(
      notJson(`["${id}"`).message,
      "not JSON: unexpected end of input at position 43 of 43 characters",
    );
    assert.equal(
      notJson(`{"id":"${id}`).message,
      "not JSON: unexpected end of input inside a string at position 47 of 47 characters",
    );
    assert.equal(
      notJson("").message,
      "not JSON: unexpected end of input at position 0 of 0 characters",
    );
    // Nesting far deeper than a recursive reader's stack.
    assert.equal(
      notJson(`${"[".repeat(200_000)}x`).message,
      "not JSON: unexpected character where a value was expected at position 200000 of 200001 " +
        "characters",
    );
    for (const raw of corruptValues(id)) assert.deepEqual(leaksOf(notJson(raw), id), [], raw);
  });

  it("finds a fault exactly where JSON.parse rejects a text, and none where it accepts one", () => {
    const parses = (text: string) => {
      try {
        JSON.parse(text);
        return true;
      } catch {
        return false;
      }
    };
    const agrees = (text: string) => {
      const fault = jsonFault(text);
      assert.equal(fault === undefined, parses(text), JSON.stringify(text));
      if (fault) assert.ok(fault.at >= 0 && fault.at <= text.length);
    };
    const unit = fc.constantFrom(...'{}[]",:\\ u0123456789eE.+-truefalsnx\n\t\u0001\uFEFF');
    // JSON with a few characters put in, taken out, or both.
    const edited = fc.tuple(fc.json(), fc.nat(), fc.string({ maxLength: 3, unit }), fc.nat(3))
      .map(([json, at, insert, cut]) => {
        const i = at % (json.length + 1);
        return json.slice(0, i) + insert + json.slice(i + cut);
      });
    fc.assert(fc.property(fc.json(), agrees), { numRuns: 2_000 });
    fc.assert(fc.property(edited, agrees), { numRuns: 5_000 });
    fc.assert(fc.property(fc.string({ maxLength: 12, unit }), agrees), { numRuns: 5_000 });
  });
});

for (const kind of FAULT_CLIENTS) {
  describe(`A stored value that is not JSON, over ${kind.name}`, { skip: kind.skip }, () => {
    const ctx = useRedis();
    const open = async () => {
      const opened = await kind.open(ctx.server.url);
      ctx.cleanups.push(() => opened.close());
      return opened.client as Parameters<typeof redis>[0];
    };

    it("getSession and getSessionsByUserId (Lucia v1) show at most the documented prefix of the id", async () => {
      const client = await open();
      for (const raw of corruptValues("<id>")) {
        const id = luciaId();
        const value = raw.replaceAll("<id>", id);
        const ns = freshNamespaces();
        const adapter = redis(client, {
          namespaces: { session: ns.session, userSession: ns.userSession },
        })(LuciaError);
        const key = `${ns.session}:${id}`;
        await adapter.setSession(session(id, "u"));
        await ctx.admin.set(key, value, { KEEPTTL: true });
        const shown = `${ns.session}:${shortId(id)}`;
        assert.equal(shown, `${ns.session}:${id.slice(0, SHOWN)}…`);
        await rejectsWithoutTheId(adapter.getSession(id), shown, id, value);
        await rejectsWithoutTheId(adapter.getSessionsByUserId("u"), shown, id, value);
        await adapter.deleteSession(id); // Signing out still works.
        assert.equal(await ctx.admin.exists(key), 0);
      }
    });

    it("getSession, getSessionsByUserId and updateSession (Lucia v2) show at most the documented prefix", async () => {
      const client = await open();
      for (const raw of corruptValues("<id>")) {
        const id = luciaId();
        const value = raw.replaceAll("<id>", id);
        const ns = freshNamespaces();
        const adapter = redisV2(client, { session: ns.session, userSessions: ns.userSession })();
        const key = `${ns.session}:${id}`;
        await adapter.setSession(session(id, "u"));
        await ctx.admin.set(key, value, { KEEPTTL: true });
        const shown = `${ns.session}:${shortId(id)}`;
        await rejectsWithoutTheId(adapter.getSession(id), shown, id, value);
        await rejectsWithoutTheId(adapter.getSessionsByUserId("u"), shown, id, value);
        await rejectsWithoutTheId(adapter.updateSession(id, { note: 1 }), shown, id, value);
      }
    });
  });
}
