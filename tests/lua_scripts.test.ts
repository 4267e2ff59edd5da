/**
 * Every Lua script the library and its command line send, checked as a module: Redis loads it,
 * it defines every name it uses, it runs only the commands its definition declares, it calls
 * `unpack` only through the chunked helpers and never decodes a stored value with `cjson`. And
 * the rules about stored values (`model.ts`) agree between TypeScript and Lua on one table of
 * values, hostile ones included.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CLUSTER_SCRIPTS } from "../src/lua/cluster.ts";
import { MIGRATE_SCRIPTS } from "../src/lua/migrate.ts";
import { defineScript, type ScriptDefinition } from "../src/lua/define.ts";
import { chunked, idleOf, legacyEntry, mget, ownerOf } from "../src/lua/helpers.ts";
import { SCRIPTS } from "../src/lua/single.ts";
import * as model from "../src/core/model.ts";
import { commandsRun, undefinedNames } from "./helpers/lua_check.ts";
import { useRedis } from "./helpers/harness.ts";

const ALL: ScriptDefinition[] = [
  ...SCRIPTS,
  ...Object.values(CLUSTER_SCRIPTS),
  ...Object.values(MIGRATE_SCRIPTS),
];

const redis = useRedis();

describe("every Lua script", () => {
  for (const script of ALL) {
    it(`${script.name} loads into Redis, as it is sent`, async () => {
      for (const source of [script.source]) {
        const sha = await redis.admin.sendCommand(["SCRIPT", "LOAD", source]);
        assert.match(String(sha), /^[0-9a-f]{40}$/);
      }
    });

    it(`${script.name} defines every name it uses`, () => {
      assert.deepEqual(undefinedNames(script.source), []);
    });

    it(`${script.name} runs only the commands its definition declares`, () => {
      const undeclared = commandsRun(script.source).filter((c) => !script.allCommands.includes(c));
      assert.deepEqual(undeclared, []);
    });

    it(`${script.name} calls unpack only through the chunked helpers, and never cjson`, () => {
      const rest = script.source.replaceAll(chunked.source, "").replaceAll(mget.source, "");
      assert.doesNotMatch(rest, /\bunpack\s*\(/);
      assert.doesNotMatch(script.source, /cjson/);
    });
  }

  it("the name check finds a helper a script calls but does not include", () => {
    const forgot = defineScript({
      name: "forgot",
      keys: ["index_key"],
      args: [],
      uses: [],
      commands: [],
      body: "return owner_of(redis.call('GET', index_key))",
    });
    assert.deepEqual(undefinedNames(forgot.source), ["owner_of"]);
    const included = defineScript({ ...forgot, uses: [ownerOf] });
    assert.deepEqual(undefinedNames(included.source), []);
  });

  it("helpers come before their users whatever order a script lists them in", () => {
    const a = defineScript({ ...SCRIPTS[0], uses: [legacyEntry, chunked] });
    const b = defineScript({ ...SCRIPTS[0], uses: [chunked, legacyEntry] });
    for (const s of [a, b]) {
      assert.deepEqual(undefinedNames(s.source), []);
      const at = (text: string) => s.source.indexOf(text);
      assert.ok(at("local function json_string") < at("local function field_of"));
      assert.ok(at("local function field_of") < at("local function owner_of("));
      assert.ok(at("local function owner_of(") < at("local function legacy_entry"));
    }
  });

  it("an inner helper's needs are made only when it reaches for them", () => {
    // owner_of's common path reads the front of the value: field_of is compiled inside it.
    const s = defineScript({
      name: "owner",
      keys: [],
      args: ["value"],
      uses: [ownerOf],
      commands: [],
      body: "return owner_of(value)",
    });
    const need = s.source.indexOf("local function owner_of_need");
    assert.ok(need >= 0 && need < s.source.indexOf("local function field_of"));
  });
});

/** Stored values that have broken owner reading before, and ordinary ones. */
const NOW = 1_800_000_000_000;
const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
const VALUES: string[] = [
  JSON.stringify({ user_id: "u", id: "a", idle_expires: NOW + 5000 }),
  JSON.stringify({ user_id: "alice\n", id: "a", device: "Pixel \uD83D", idle_expires: NOW + 1 }),
  JSON.stringify({ user_id: 'q"\\\t\u0001', id: "a", deep: JSON.parse(deep(1200)) }),
  JSON.stringify({ user_id: "é😀", id: "a", idle_expires: NOW - 1 }),
  JSON.stringify({ id: "a", user_id: "u", active_expires: 1, idle_expires: NOW + 9 }),
  JSON.stringify({ id: "a", user_id: "u", idle_expires: String(NOW + 7) }),
  JSON.stringify({ id: "a", deep: JSON.parse(deep(1500)), user_id: "u\n" }),
  JSON.stringify({ id: "a", note: "x\uDC00", user_id: "u" }),
  JSON.stringify({ id: "a", user_id: 5, idle_expires: NOW + 1 }),
  JSON.stringify({ id: "a", user_id: null }),
  JSON.stringify({ id: "a", user_id: "u", idle_expires: 9e15 }),
  JSON.stringify({ id: "a", user_id: "u", idle_expires: "soon" }),
  JSON.stringify({ user_id: "\uD83D", id: "a" }).replace("\\ud83d", "\\uD83D"),
  '{"user_id":"a\\u0062c","idle_expires":1e13}',
  '{ "user_id" : "spaced" , "idle_expires" : 5e12 }',
  '{"id":"x","user_id":"u","user_id":"v"}',
  '{"id":"x" "user_id":"u"}',
  '{"id":[1,2,"]"],"user_id":"u"}',
  '["user_id","u"]',
  "not json",
  "",
  '{"user_id":"unterminated',
];

const PROBE = defineScript({
  name: "probe",
  keys: [],
  args: ["user", "now"],
  restArgs: "values",
  uses: [ownerOf, idleOf, legacyEntry],
  commands: [],
  body: `
local out = {}
for i, value in ipairs(values) do
  local fate, idle = legacy_entry(value, user, tonumber(now))
  out[i] = {owner_of(value) or false, idle_of(value) and string.format('%d', idle_of(value)) or false, fate}
end
return out
`,
});

describe("the rules about stored values", () => {
  for (const user of ["u", "alice\n", 'q"\\\t\u0001', "é😀", "u\n"]) {
    it(`read the same in TypeScript and Lua, for the user ${JSON.stringify(user)}`, async () => {
      const reply = await redis.admin.sendCommand([
        "EVAL",
        PROBE.source,
        "0",
        user,
        String(NOW),
        ...VALUES,
      ]) as [string | null, string | null, string][];
      VALUES.forEach((value, i) => {
        const [owner, idle, fate] = reply[i];
        const what = `value ${i}: ${value.slice(0, 60)}`;
        assert.equal(owner ?? undefined, model.ownerOf(value), what);
        assert.equal(idle === null ? undefined : Number(idle), model.idleOf(value), what);
        assert.equal(fate, model.legacyEntry(value, user, NOW).fate, what);
      });
    });
  }

  it("read the owner through a lone surrogate and deep nesting elsewhere in the value", () => {
    assert.equal(model.ownerOf(VALUES[1]), "alice\n");
    assert.equal(model.ownerOf(VALUES[6]), "u\n");
    assert.equal(model.ownerOf(VALUES[12]), undefined);
  });
});

describe("the ACL section of docs/server.md", () => {
  it("lists exactly the commands the scripts' definitions declare", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync(new URL("../docs/server.md", import.meta.url), "utf8");
    const listed = /<!-- script-commands -->([\s\S]*?)<!-- \/script-commands -->/.exec(readme);
    assert.ok(listed, "docs/server.md marks its list of script commands");
    const names = [...listed[1].matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]);
    const { SCRIPT_COMMANDS } = await import("../src/lua/commands.ts");
    assert.deepEqual(names, [...SCRIPT_COMMANDS]);
  });
});
