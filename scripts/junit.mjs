// Reads the JUnit XML reports that `deno test --junit-path`, `bun test --reporter=junit` and
// `node --test --test-reporter=junit` write, and counts their tests.
//
// The three runners lay the same tests out differently: Bun and Node nest a <testsuite> per
// describe() and give each it() a <testcase>; Deno gives every describe() a <testcase> of its own
// too, named by its path ("group > subgroup"), next to those of the tests inside it. A testcase
// whose name followed by " > " begins another testcase's name is such a group, and is not
// counted: every runner's figure is then the number of it() tests (and Deno.test() tests).
import { readFileSync } from "node:fs";

const ENTITIES = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };

/** Decodes the XML entities of an attribute value. */
function decode(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref) => {
    if (ref[0] !== "#") return ENTITIES[ref] ?? whole;
    return String.fromCodePoint(ref[1] === "x" ? parseInt(ref.slice(2), 16) : Number(ref.slice(1)));
  });
}

/** Comments, declarations and CDATA (skipped), or a start, end or empty-element tag. */
const TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTRIBUTE = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/**
 * The testcases of a JUnit XML document, each with its name and outcome ("passed", "failed" for
 * a <failure> or <error> inside it, "skipped" for a <skipped>), and for a failure the message
 * the runner gave it (its attribute, or the start of its text).
 * @param {string} xml
 * @returns {{ name: string, outcome: "passed" | "failed" | "skipped", message?: string }[]}
 */
export function testcases(xml) {
  const found = [];
  let current = null;
  for (const match of xml.matchAll(TOKEN)) {
    const [token, closing, tag, attributes = "", empty] = match;
    if (tag === undefined || token.startsWith("<!") || token.startsWith("<?")) continue;
    if (tag === "testcase") {
      if (closing) {
        if (current) found.push(current);
        current = null;
        continue;
      }
      const attrs = Object.fromEntries(
        [...attributes.matchAll(ATTRIBUTE)].map(([, key, dq, sq]) => [key, decode(dq ?? sq)]),
      );
      const testcase = { name: attrs.name ?? "", outcome: "passed" };
      if (empty) found.push(testcase);
      else current = testcase;
    } else if (current && !closing) {
      if (tag === "failure" || tag === "error") {
        current.outcome = "failed";
        const message = /\bmessage\s*=\s*"([^"]*)"/.exec(attributes)?.[1];
        // Its text runs from the end of this very tag (not the first tag like it) to its close.
        const start = match.index + token.length;
        const end = xml.indexOf(`</${tag}>`, start);
        const text = empty || end < 0 ? "" : xml.slice(start, end);
        current.message ??= decode(message || text.replace(/<!\[CDATA\[|\]\]>/g, "")).trim();
      } else if (tag === "skipped" && current.outcome === "passed") current.outcome = "skipped";
    }
  }
  return found;
}

/**
 * Counts the tests of one JUnit XML report. A missing or empty report counts as one failure:
 * the runner did not get as far as writing it.
 * @param {string} file
 * @returns {{ passed: number, failed: number, skipped: number, failures: string[], problem?: string }}
 */
export function countJUnit(file) {
  let xml;
  try {
    xml = readFileSync(file, "utf8");
  } catch {
    const problem = `no JUnit report at ${file}`;
    return { passed: 0, failed: 1, skipped: 0, failures: [problem], problem };
  }
  const all = testcases(xml);
  if (!/<testsuites?\b/.test(xml)) {
    const problem = `${file} is not a JUnit report`;
    return { passed: 0, failed: 1, skipped: 0, failures: [problem], problem };
  }
  // Every path a testcase's name is nested under ("a" and "a > b" for "a > b > c").
  const groups = new Set();
  for (const { name } of all) {
    const parts = name.split(" > ");
    for (let i = 1; i < parts.length; i++) groups.add(parts.slice(0, i).join(" > "));
  }
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  for (const t of all) {
    if (groups.has(t.name)) continue;
    counts[t.outcome]++;
    if (t.outcome === "failed") {
      const first = (t.message ?? "").split("\n").find((line) => line.trim() !== "") ?? "";
      counts.failures.push(`${t.name}${first ? `: ${first.trim().slice(0, 300)}` : ""}`);
    }
  }
  return counts;
}
