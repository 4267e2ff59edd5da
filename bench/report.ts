/**
 * Turns a benchmark run's JSON into bench/RESULTS.md: every figure comes from the run.
 *
 * @module
 */
import type { CountRecord, LoadResult, Measurement } from "./load/types.ts";
import { SUBJECT_NAMES, type SubjectKey } from "./subjects.ts";

/** Everything a full run produced, plus where and with what it ran. */
export interface RunData {
  smoke: boolean;
  date: string;
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    kernel: string;
    loadBefore: number[];
    loadAfter: number[];
  };
  redis: string;
  versions: Record<string, string>;
  config: {
    repeats: number;
    durationMs: number;
    concurrencies: number[];
    latencyRepeats: number;
    memorySessions: number;
    expireMs: number;
  };
  latency?: {
    proxy: string;
    delayUs: number;
    /** PING p50/p99 directly and through the proxy, measured by the latency run's client. */
    direct: { p50: number; p99: number };
    proxied: { p50: number; p99: number };
  };
  results: LoadResult[];
  elapsedSeconds: number;
}

function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function fmtInt(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return Math.round(n).toLocaleString("en-US");
}

function fmtMs(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1);
}

function fmtRatio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : "—";
}

function fmtNum(n: number, digits = 1): string {
  return Number.isFinite(n) ? (Number.isInteger(n) ? String(n) : n.toFixed(digits)) : "—";
}

/** The measurements of one run, indexed. */
class Figures {
  constructor(readonly list: Measurement[]) {}
  of(client: string, subject: SubjectKey, op: string, c: number): Measurement[] {
    return this.list.filter((m) =>
      m.client === client && m.subject === subject && m.op === op && m.concurrency === c
    );
  }
  /** Median over repeats of a field. */
  med(client: string, subject: SubjectKey, op: string, c: number, field: keyof Measurement) {
    return median(this.of(client, subject, op, c).map((m) => m[field] as number));
  }
  /** Median over repeats of the per-repeat throughput ratio a/b (same repeat, same run). */
  ratio(
    a: [string, SubjectKey],
    b: [string, SubjectKey],
    op: string,
    c: number,
  ): number {
    const xs = this.of(a[0], a[1], op, c);
    const ys = this.of(b[0], b[1], op, c);
    const ratios: number[] = [];
    for (const x of xs) {
      const y = ys.find((m) => m.repeat === x.repeat);
      if (y) ratios.push(x.opsPerSec / y.opsPerSec);
    }
    return median(ratios);
  }
  ops(): string[] {
    return [...new Set(this.list.map((m) => m.op))];
  }
  subjects(client: string, op: string): SubjectKey[] {
    const order: SubjectKey[] = ["ours", "ours2", "v2", "raw", "connect"];
    const here = new Set(
      this.list.filter((m) => m.client === client && m.op === op).map((m) => m.subject),
    );
    return order.filter((s) => here.has(s));
  }
}

function table(header: string[], rows: string[][], align?: string[]): string {
  const sep = align ?? header.map((_, i) => (i === 0 ? "---" : "--:"));
  return [
    `| ${header.join(" | ")} |`,
    `| ${sep.join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function throughputTable(f: Figures, client: string, cs: number[]): string {
  const header = ["operation", "subject"];
  for (const c of cs) {
    header.push(`ops/s c=${c}`, `p50 ms c=${c}`, `p99 ms c=${c}`, `Redis µs/op c=${c}`);
  }
  for (const c of cs) header.push(`× floor c=${c}`);
  for (const c of cs) header.push(`× 2.1.2 c=${c}`);
  const rows: string[][] = [];
  for (const op of f.ops()) {
    for (const s of f.subjects(client, op)) {
      const row = [op, s === "ours" ? `**${SUBJECT_NAMES[s]}**` : SUBJECT_NAMES[s]];
      for (const c of cs) {
        row.push(
          fmtInt(f.med(client, s, op, c, "opsPerSec")),
          fmtMs(f.med(client, s, op, c, "p50")),
          fmtMs(f.med(client, s, op, c, "p99")),
          fmtNum(f.med(client, s, op, c, "serverCpuUs")),
        );
      }
      const hasRaw = f.subjects(client, op).includes("raw");
      const hasV2 = f.subjects(client, op).includes("v2");
      for (const c of cs) {
        row.push(
          hasRaw && s !== "raw" ? fmtRatio(f.ratio([client, s], [client, "raw"], op, c)) : "",
        );
      }
      for (const c of cs) {
        row.push(hasV2 && s !== "v2" ? fmtRatio(f.ratio([client, s], [client, "v2"], op, c)) : "");
      }
      rows.push(row);
    }
  }
  return table(header, rows, header.map((_, i) => (i < 2 ? "---" : "--:")));
}

interface Goal {
  goal: string;
  /** This adapter's figures, and whether they meet the goal (null: not measured). */
  figures: string;
  met: boolean | null;
}

interface Verdict {
  figures: string;
  met: boolean | null;
}

function ratioVerdict(
  runs: { label: string; f: Figures }[],
  subject: SubjectKey,
  op: string,
  against: SubjectKey,
  threshold: number,
  cs: number[],
  judgedAt: number[] = cs,
): Verdict {
  const parts: string[] = [];
  let met: boolean | null = null;
  for (const { label, f } of runs) {
    for (const c of cs) {
      const r = f.ratio(["node-redis", subject], ["node-redis", against], op, c);
      if (!Number.isFinite(r)) continue;
      const judged = judgedAt.includes(c);
      parts.push(`${label} c=${c}: ${judged ? "" : "("}${fmtRatio(r)}${judged ? "" : ")"}`);
      if (judged) met = (met ?? true) && r >= threshold;
    }
  }
  return { figures: parts.join(", ") || "not measured", met };
}

function goals(data: RunData): Goal[] {
  const out: Goal[] = [];
  const add = (goal: string, verdict: (s: SubjectKey) => Verdict) => {
    const ours = verdict("ours");
    out.push({ goal, figures: ours.figures, met: ours.met });
  };
  const loop = data.results.filter((r) => r.run === "loopback" && r.measurements.length > 0);
  const loopRuns = loop.map((r) => ({ label: r.runtime, f: new Figures(r.measurements) }));
  const lat = data.results.find((r) => r.run === "latency");
  const cs = data.config.concurrencies;

  add("Exactly 1 command per operation, at 1, 10 and 100 sessions per user", (s) => {
    const counts = data.results.flatMap((r) => r.counts).filter((c) => c.subject === s);
    const over = counts.filter((c) => c.commands !== 1 || c.roundTrips !== 1);
    return {
      figures: counts.length === 0
        ? "not measured"
        : over.length === 0
        ? `all ${counts.length} cases (operation × sessions per user × client): 1 command, ` +
          "1 round trip"
        : over.map((c) => `${c.op} (${c.client}): ${c.commands}`).join(", "),
      met: counts.length > 0 ? over.length === 0 : null,
    };
  });
  const vs = (op: string, t: number) =>
    add(
      `${op} ≥ ${t.toFixed(1)}× 2.1.2 (loopback)`,
      (s) => ratioVerdict(loopRuns, s, op, "v2", t, cs),
    );
  vs("setSession", 1.0);
  vs("getSession", 1.0);
  vs("getSessionsByUserId(10)", 1.3);
  vs("deleteSession", 1.0);
  if (lat) {
    const runs = [{ label: `${lat.runtime} +RTT`, f: new Figures(lat.measurements) }];
    for (const op of new Figures(lat.measurements).ops()) {
      if (!op.startsWith("getSessionsByUserId") && op !== "deleteSession") continue;
      add(
        `${op} ≥ 1.8× 2.1.2 under ~1 ms added RTT (judged at c=1)`,
        (s) => ratioVerdict(runs, s, op, "v2", 1.8, cs, [1]),
      );
    }
  }
  add(
    "getSession ≥ 0.9× the raw GET + JSON.parse floor (loopback)",
    (s) => ratioVerdict(loopRuns, s, "getSession", "raw", 0.9, cs),
  );
  add("≤ 400 bytes of Redis memory per live session (40-character ids)", (s) => {
    const memory = data.results.flatMap((r) => r.memory).filter((m) => m.subject === s);
    return {
      figures: memory.map((m) => `${m.k}/user: ${fmtInt(m.bytesPerSession)} B`).join(", ") ||
        "not measured",
      met: memory.length ? memory.every((m) => m.bytesPerSession <= 400) : null,
    };
  });
  add("0 bytes retained once every session has expired", (s) => {
    const all = data.results.flatMap((x) => x.retained);
    const r = all.find((x) => x.subject === s);
    const floor = all.find((x) => x.subject === "raw");
    if (!r) return { figures: "not measured", met: null };
    return {
      figures: `${fmtInt(r.keysLeft)} keys left of ${fmtInt(r.sessions)} sessions; keyspace ` +
        `holds ${fmtInt(r.retainedBytes)} B` +
        (floor ? ` (raw floor: ${fmtInt(floor.retainedBytes)} B, the emptied hash tables)` : ""),
      met: r.keysLeft === 0 && (!floor || r.retainedBytes <= floor.retainedBytes),
    };
  });
  return out;
}

function signed(n: number): string {
  return Number.isFinite(n) ? `${n >= 0 ? "+" : "−"}${fmtInt(Math.abs(n))}` : "—";
}

function countsTable(counts: CountRecord[]): string {
  const rows = counts.map((c) => [
    c.op,
    `${SUBJECT_NAMES[c.subject]}${c.client === "bun" ? " (Bun RedisClient)" : ""}`,
    fmtNum(c.commands),
    fmtNum(c.roundTrips),
    fmtNum(c.monitorCommands),
    fmtNum(c.scriptCommands),
    c.shape.length > 60 ? c.shape.slice(0, 57).replace(/\+[A-Z]*$/, "") + "+…" : c.shape,
  ]);
  return table(
    [
      "operation",
      "subject",
      "commands/op",
      "round trips/op",
      "MONITOR: client commands/op",
      "MONITOR: commands run by scripts/op",
      "commands of one op (→ = next round trip)",
    ],
    rows,
    ["---", "---", "--:", "--:", "--:", "--:", "---"],
  );
}

/**
 * An A/A control: "ours2" is a second instance of this adapter, measured beside the first on
 * getSession, so their ratio would be 1.00× on a quiet machine; its spread is the noise of a
 * ratio in this run.
 */
function noiseNote(data: RunData): string {
  const ratios: string[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of data.results.filter((x) => x.run === "loopback" && x.measurements.length)) {
    const f = new Figures(r.measurements);
    for (const c of data.config.concurrencies) {
      const x = f.ratio(["node-redis", "ours2"], ["node-redis", "ours"], "getSession", c);
      if (!Number.isFinite(x)) continue;
      ratios.push(`${r.runtime} c=${c} ${fmtRatio(x)}`);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
  }
  if (ratios.length === 0) return "";
  return "**Noise, measured:** the A/A control is this adapter run again, as a second " +
    "subject beside the first, so its getSession throughput ÷ this adapter's would be 1.00× " +
    "on a quiet machine; what it is shows the noise of a ratio on this machine in this run: " +
    `${ratios.join(", ")} (${fmtRatio(lo)}–${fmtRatio(hi)}). Read every ratio below with ` +
    `that margin; a goal missed or met by less is within noise.`;
}

function verdict(met: boolean | null): string {
  return met === null ? "not measured" : met ? "met" : "**missed**";
}

/** Renders RESULTS.md. */
export function render(data: RunData): string {
  const lines: string[] = [];
  const push = (...s: string[]) => lines.push(...s);
  const v = data.versions;
  push(
    "# Benchmark results",
    "",
    "<!-- Generated by `deno task bench` (bench/run.ts). Do not edit by hand: rerun it. -->",
    "",
    data.smoke ? "**Smoke run: tiny N, figures meaningless.**\n" : "",
    `Run on ${data.date}, ${data.elapsedSeconds.toFixed(0)} s in all.`,
    "",
    `- Machine: ${data.machine.cpu}, ${data.machine.cores} cores, ` +
      `${data.machine.memoryGiB.toFixed(1)} GiB, Linux ${data.machine.kernel}; load average ` +
      `${data.machine.loadBefore.map((x) => x.toFixed(2)).join(" ")} before, ` +
      `${data.machine.loadAfter.map((x) => x.toFixed(2)).join(" ")} after.`,
    `- Redis ${data.redis} (private redis-server on loopback, persistence off, default config).`,
    `- Runtimes: ${
      data.results.filter((r, i, a) => a.findIndex((x) => x.runtime === r.runtime) === i)
        .map((r) => `${r.runtime} ${r.runtimeVersion}`).join(", ")
    }.`,
    `- Client: ${v.client}; Bun's built-in RedisClient (Bun ${v.bun}) where named.`,
    `- Subjects: **this adapter** (${v.ours}); **this adapter, run again (A/A control)**: a ` +
      "second instance of the same adapter on the same connection, measured for getSession " +
      "only over node-redis, so its ratio to the first shows the noise; the " +
      "**raw floor**: the raw client doing the least (SET … PXAT; GET + JSON.parse; DEL; and " +
      "for getSessionsByUserId one `SORT_RO userSession:<id> BY nosort GET # GET session:*` " +
      "+ JSON.parse over this adapter's own index, without pruning); **adapter 2.1.2** " +
      `(${v.v2}, built for Lucia v2, same five operations on the same client); ` +
      `**${v.connect}** with ${v.expressSession} (get/set/destroy only).`,
    "",
    "## Method",
    "",
    `- Throughput: each operation runs on **one connection** at concurrency 1 and 256 ` +
      `(256 async callers sharing the connection; node-redis and Bun's client pipeline what ` +
      `they are given in the same tick). A measurement is bounded to ` +
      `${data.config.durationMs} ms per subject and a fixed count. Every subject is warmed up ` +
      `first. Each figure is the **median of ${data.config.repeats} repeats**. Within a ` +
      "repeat the subjects of an operation run in the same stretch of time: at c=1 they take " +
      "turns in 25 ms slices (order rotating every round), so that bursts of other work on " +
      "the machine land on all of them alike; at c=256 in thirds of the time bound (each " +
      "slice ramps 256 requests up and down). Every ratio is the median of per-repeat " +
      "ratios: figures from the same run, taken side by side.",
    `- p50/p99: per-operation latency over all operations of a measurement (at c=256 it ` +
      `includes queueing behind the other 255), median over repeats.`,
    "- Sessions: 40-character ids, 15-character user ids (Lucia's lengths), the four Lucia " +
      "fields; setSession writes 2 sessions per user; reads cycle over 5,000 stored sessions.",
    "- Commands per operation: a counting wrapper (a Proxy) around the client counts the " +
      "commands each operation asks the client to send, cross-checked against `MONITOR` " +
      "(the run fails if they differ). `MONITOR` also shows the commands Lua scripts run " +
      "inside an `EVALSHA`, listed separately: they cost Redis CPU, not round trips.",
    "- **Round trip**: during one operation run alone, a round trip begins whenever the " +
      "operation sends a command while none of its earlier commands is awaiting a reply; " +
      "commands sent together (`Promise.all`, which the clients auto-pipeline into one write) " +
      "share it. So it is the number of network latencies the operation must wait through.",
    "- Redis µs/op: CPU time redis-server's main thread used during a measurement " +
      "(`/proc/<pid>/schedstat`, network I/O and command parsing included), divided by the " +
      "operations done. At c=256 Redis is busy and this is its cost per operation when it is " +
      "the bottleneck; at c=1 it idles between requests and each wake-up costs more.",
    `- Memory per live session: the slope of \`used_memory\` from ${
      fmtInt(data.config.memorySessions / 10)
    } to ${fmtInt(data.config.memorySessions)} sessions stored through the subject on a ` +
      "flushed database (scripts loaded first), at 1 and at 10 sessions per user. Retained " +
      `after expiry: ${fmtInt(data.config.memorySessions)} sessions made to expire ` +
      `${data.config.expireMs} ms ahead, a wait past every expiry, a full SCAN (which deletes ` +
      "each expired key it visits), a pause for Redis's cron to shrink its tables; then the " +
      "keys left, and `used_memory` minus `used_memory` after a FLUSHALL right after.",
    data.latency
      ? `- Latency mode: \`tc netem\` is not available on this kernel (no sch_netem), so a ` +
        `TCP delay proxy (${data.latency.proxy}) sits between client and redis-server and ` +
        `holds each request ${data.latency.delayUs} µs (calibrated so the added PING round ` +
        `trip is ~1 ms). Measured PING p50: ${fmtMs(data.latency.direct.p50)} ms direct, ` +
        `${fmtMs(data.latency.proxied.p50)} ms through the proxy, so **+${
          fmtMs(data.latency.proxied.p50 - data.latency.direct.p50)
        } ms per round trip**. ${data.config.latencyRepeats} repeats, Node only.`
      : "- Latency mode: not run.",
    "",
    "## Goals",
    "",
    noiseNote(data),
    "",
    "Loopback goals are judged on every runtime at both concurrencies: a goal is met only if " +
      "every cell meets it. Latency-mode goals are judged at c=1, where each request pays its " +
      "own round trips; at c=256 one connection carries 256 requests per round trip " +
      "(pipelining), so the added RTT barely matters there: those figures are in parentheses.",
    "",
    table(
      ["goal", "this adapter", "met?"],
      goals(data).map((g) => [g.goal, g.figures, verdict(g.met)]),
      ["---", "---", "---"],
    ),
    "",
  );

  const counts = [
    ...(data.results.find((r) => r.counts.some((c) => c.client === "node-redis"))?.counts ?? [])
      .filter((c) => c.client === "node-redis"),
    ...data.results.flatMap((r) => r.counts).filter((c) =>
      c.client === "bun" && c.subject ===
        "ours"
    ),
  ];
  push(
    "## Commands and round trips per operation",
    "",
    "The by-user operations at 1, 10 and 100 sessions per user. node-redis unless named.",
    "",
    countsTable(counts),
    "",
  );

  const memory = data.results.flatMap((r) => r.memory);
  const retained = data.results.flatMap((r) => r.retained);
  if (memory.length) {
    const ks = [...new Set(memory.map((m) => m.k))];
    const order: SubjectKey[] = ["ours", "ours2", "v2", "raw", "connect"];
    const rows = order.filter((s) => memory.some((m) => m.subject === s)).map((s) => {
      const row = [SUBJECT_NAMES[s]];
      for (const k of ks) {
        const m = memory.find((x) => x.subject === s && x.k === k);
        row.push(
          m ? fmtInt(m.bytesPerSession) : "—",
          m ? fmtInt(m.fromEmpty) : "—",
          m ? fmtNum(m.keysPerSession, 2) : "—",
        );
      }
      const r = retained.find((x) => x.subject === s);
      row.push(
        r ? fmtInt(r.retainedBytes) : "—",
        r ? signed(r.sinceStart) : "—",
        r ? fmtInt(r.keysLeft) : "—",
      );
      return row;
    });
    const n = memory[0].sessions;
    const header = ["subject"];
    for (const k of ks) {
      header.push(
        `B/session, ${k}/user`,
        `B/session from empty, ${k}/user`,
        `keys/session, ${k}/user`,
      );
    }
    const rk = retained[0];
    header.push(
      `retained B after ${rk ? fmtInt(rk.sessions) : ""} expired (${rk ? rk.k : ""}/user)`,
      "used_memory vs before",
      "keys left",
    );
    push(
      "## Redis memory",
      "",
      table(header, rows),
      "",
      `B/session is the slope of \`used_memory\` from ${fmtInt(n / 10)} to ${fmtInt(n)} live ` +
        'sessions (what each further session costs); "from empty" divides the whole delta ' +
        "from a flushed database by the sessions, so it also carries buffers Redis grows once. " +
        "Retained B is what the keyspace still holds once every session has expired: " +
        "`used_memory` then, minus `used_memory` right after a FLUSHALL that follows (buffers " +
        "outside the keyspace are in both reads and cancel out). 64 B is the main and expires " +
        "hash tables at their minimum size, as the raw floor (which stores nothing but the " +
        'sessions) shows. "used_memory vs before" compares with before the sessions were ' +
        "created, buffers the run grew (or shrank) included: a few KB either way are those.",
      "",
    );
  }

  for (const r of data.results.filter((x) => x.run === "loopback" && x.measurements.length)) {
    const f = new Figures(r.measurements);
    push(
      `## Throughput and latency: ${r.runtime} ${r.runtimeVersion}, node-redis, loopback`,
      "",
      throughputTable(f, "node-redis", data.config.concurrencies),
      "",
    );
    if (r.measurements.some((m) => m.client === "bun")) {
      const rows: string[][] = [];
      for (const op of f.ops()) {
        for (const s of f.subjects("bun", op)) {
          const row = [op, SUBJECT_NAMES[s]];
          for (const c of data.config.concurrencies) {
            row.push(
              fmtInt(f.med("node-redis", s, op, c, "opsPerSec")),
              fmtInt(f.med("bun", s, op, c, "opsPerSec")),
              fmtRatio(f.ratio(["bun", s], ["node-redis", s], op, c)),
            );
          }
          rows.push(row);
        }
      }
      const header = ["operation", "subject"];
      for (const c of data.config.concurrencies) {
        header.push(
          `node-redis ops/s c=${c}`,
          `RedisClient ops/s c=${c}`,
          `RedisClient ÷ node-redis c=${c}`,
        );
      }
      push(
        `### On Bun: Bun's RedisClient against node-redis (same run)`,
        "",
        table(header, rows, header.map((_, i) => (i < 2 ? "---" : "--:"))),
        "",
        "RedisClient figures in full (ratios against the floor on the same client):",
        "",
        throughputTable(f, "bun", data.config.concurrencies),
        "",
      );
    }
  }

  const lat = data.results.find((r) => r.run === "latency");
  if (lat && data.latency) {
    push(
      `## Throughput and latency: ${lat.runtime} ${lat.runtimeVersion}, node-redis, +${
        fmtMs(data.latency.proxied.p50 - data.latency.direct.p50)
      } ms per round trip`,
      "",
      throughputTable(new Figures(lat.measurements), "node-redis", data.config.concurrencies),
      "",
    );
  }

  push(
    "## Versions",
    "",
    table(
      ["component", "version"],
      Object.entries(data.versions).map(([k, val]) => [k, val]),
      ["---", "---"],
    ),
    "",
    "Rerun with `deno task bench` (needs redis-server on PATH; `cc` for the precise latency " +
      "proxy, else a Bun fallback). Options: `--repeats=N`, `--duration=MS`, " +
      "`--runtimes=deno,bun,node`, `--no-latency`.",
    "",
  );
  return lines.join("\n");
}
