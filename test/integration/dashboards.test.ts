// The Grafana dashboard and the Prometheus alert rules in infra/ against a real agent's /metrics:
// every metric and label they query exists (a renamed metric fails here, not on an operator's
// screen), every metric the agent exposes is on the dashboard, and promtool accepts the rules and
// passes their unit tests.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { AgentProcess } from "../helpers/agent-process.js";
import { TestBroker, uniqueName } from "../helpers/broker.js";
import { agentConfig } from "../helpers/config.js";
import { waitFor } from "../helpers/wait.js";

const ROOT = join(import.meta.dirname, "../..");
const DASHBOARD = "infra/grafana/amqp-lambda-agent.json";
const RULES = "infra/prometheus/alerts.yml";
const RULE_TESTS = "infra/prometheus/alerts.test.yml";
const PREFIX = "amqp_lambda_agent_";
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's datasource placeholder, not a JS template
const DATASOURCE_UID = "${DS_PROMETHEUS}";
const HISTOGRAM_SERIES = ["_bucket", "_sum", "_count"];
/** Labels the scrape adds to every series (used by the rules to name a replica). */
const SCRAPE_LABELS = ["instance", "job"];
const PROMTOOL_MISSING = `promtool is not on PATH: it checks ${RULES}. Install it from Debian's prometheus package: apt-get install -y --no-install-recommends prometheus (with a /usr/sbin/policy-rc.d that exits 101, or its postinst starts a Prometheus server), or put the promtool of a Prometheus release on PATH`;

const run = promisify(execFile);

/** What a Prometheus text answer declares: metric families with their type, and the samples. */
interface Exposition {
  types: Map<string, string>;
  samples: Array<{ name: string; labels: Map<string, string> }>;
}

function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Exposition["samples"] = [];
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) types.set(type[1], type[2]);
    if (line === "" || line.startsWith("#")) continue;
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    assert.ok(sample?.[1], `unparsable /metrics line: ${line}`);
    const labels = new Map<string, string>();
    for (const [, name, value] of (sample[2] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      if (name !== undefined && value !== undefined) labels.set(name, value);
    samples.push({ name: sample[1], labels });
  }
  return { types, samples };
}

/** The names a PromQL expression may select: counters and gauges by name, histograms by their series. */
function seriesNames(types: ReadonlyMap<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [family, type] of types) {
    if (type === "histogram") for (const suffix of HISTOGRAM_SERIES) names.add(family + suffix);
    else names.add(family);
  }
  return names;
}

/** PromQL without its string literals and comments (a name inside a label value is not a selector). */
function withoutStrings(promql: string): string {
  return promql.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""').replace(/#.*$/gm, "");
}

const IDENTIFIER = new RegExp(`(?<![A-Za-z0-9_:])${PREFIX}[A-Za-z0-9_:]*`, "g");

/** Every identifier of ours in a text (an expression, or a whole file with its descriptions). */
function ourNames(text: string): string[] {
  return [...text.matchAll(IDENTIFIER)].map((m) => m[0]);
}

interface Selector {
  name: string;
  matchers: Array<{ label: string; op: string; value: string }>;
}

/** `name{label op "value", ...}` selectors of our metrics in one expression. */
function selectors(promql: string): Selector[] {
  const found: Selector[] = [];
  const pattern = new RegExp(
    `(?<![A-Za-z0-9_:])(${PREFIX}[A-Za-z0-9_:]*)\\s*(?:\\{((?:[^}"]|"(?:[^"\\\\]|\\\\.)*")*)\\})?`,
    "g",
  );
  for (const [, name, body] of promql.matchAll(pattern)) {
    if (name === undefined) continue;
    const matchers = [
      ...(body ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g),
    ].map(([, label = "", op = "", value = ""]) => ({ label, op, value }));
    found.push({ name, matchers });
  }
  return found;
}

/** Label names a query groups or joins by, and legend placeholders (`{{agent}}`). */
function groupingLabels(promql: string, legend = ""): string[] {
  const labels: string[] = [];
  for (const [, list = ""] of withoutStrings(promql).matchAll(
    /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
  ))
    labels.push(
      ...list
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean),
    );
  for (const [, label = ""] of legend.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) labels.push(label);
  return labels;
}

interface Query {
  where: string;
  expr: string;
  legend?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr?: string; legendFormat?: string; datasource?: { uid: string }; refId: string }>;
}

interface Dashboard {
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; definition?: string; query?: Json }> };
  uid: string;
}

function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(join(ROOT, DASHBOARD), "utf8")) as Dashboard;
}

function dashboardQueries(dashboard: Dashboard): Query[] {
  const queries: Query[] = [];
  for (const panel of dashboard.panels)
    for (const target of panel.targets ?? [])
      queries.push({
        where: `${DASHBOARD} panel "${panel.title}" target ${target.refId}`,
        expr: target.expr ?? "",
        legend: target.legendFormat ?? "",
      });
  for (const variable of dashboard.templating.list) {
    const query = variable.query;
    const text =
      typeof query === "string"
        ? query
        : query !== null &&
            typeof query === "object" &&
            !Array.isArray(query) &&
            typeof query.query === "string"
          ? query.query
          : undefined;
    if (variable.type === "query") {
      queries.push({ where: `${DASHBOARD} variable ${variable.name}`, expr: text ?? "" });
      queries.push({
        where: `${DASHBOARD} variable ${variable.name} definition`,
        expr: variable.definition ?? "",
      });
    }
  }
  return queries;
}

/**
 * The `expr` of every rule in a Prometheus rules file: inline, quoted, or a block scalar (`|`, `>`).
 * Checked against the number of rules, so an expression written in another form cannot slip by.
 */
function ruleQueries(text: string): Query[] {
  const lines = text.split("\n");
  const queries: Query[] = [];
  let rule = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const name = /^\s*-\s*(?:alert|record):\s*(\S+)/.exec(line);
    if (name?.[1]) rule = name[1];
    const expr = /^(\s*)(?:-\s*)?expr:\s*(.*)$/.exec(line);
    if (!expr) continue;
    const indent = (expr[1] ?? "").length;
    const rest = (expr[2] ?? "").trim();
    let body: string;
    if (/^[|>][+-]?$/.test(rest)) {
      const block: string[] = [];
      while (i + 1 < lines.length) {
        const next = lines[i + 1] ?? "";
        if (next.trim() !== "" && next.length - next.trimStart().length <= indent) break;
        block.push(next);
        i++;
      }
      body = block.join("\n");
    } else if (/^'.*'$/.test(rest)) body = rest.slice(1, -1).replaceAll("''", "'");
    else if (/^".*"$/.test(rest)) body = JSON.parse(rest) as string;
    else body = rest;
    queries.push({ where: `${RULES} rule ${rule}`, expr: body.trim() });
  }
  const rules = lines.filter((l) => /^\s*-\s*(?:alert|record):/.test(l)).length;
  assert.equal(
    queries.length,
    rules,
    `${RULES}: one expr per rule (${rules} rules, ${queries.length} exprs read)`,
  );
  return queries;
}

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run("promtool", args, { cwd: ROOT, timeout: 60_000 });
    return stdout + stderr;
  } catch (thrown) {
    const error = thrown as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (error.code === "ENOENT") assert.fail(PROMTOOL_MISSING);
    assert.fail(`promtool ${args.join(" ")} failed:\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  }
}

describe("dashboards: the Grafana dashboard and the alert rules match the real /metrics", () => {
  let broker: TestBroker;
  const exchange = uniqueName("dash-x");
  const queue = uniqueName("dash-q");
  const name = uniqueName("dash-agent");
  let agent: AgentProcess;
  let exposition: Exposition;
  let names: Set<string>;

  before(async () => {
    broker = await TestBroker.connect();
    agent = AgentProcess.start(
      agentConfig({
        name,
        exchange,
        queue,
        connection: { health_interval: "1s" },
        lambda: { max_retries: 0 },
        options: { http: { enabled: true, address: "127.0.0.1:0" }, summary_interval: "1s" },
      }),
    );
    await agent.ready();
    const base = await agent.httpBase();
    // Successes and one function error (dead-lettered), so the outcome, duration and failure
    // series have samples and their labels can be checked.
    await broker.publish(exchange, "k", [{ id: 1 }, { id: 2 }, { id: 3, fail: "always" }, { id: 4 }]);
    const text = await waitFor("3 succeeded and 1 dead-lettered in /metrics", async () => {
      const answer = await (await fetch(`${base}/metrics`)).text();
      const counted = (metric: string) =>
        Number(new RegExp(`^${metric}\\{agent="${name}"\\} (\\S+)$`, "m").exec(answer)?.[1] ?? 0);
      return counted(`${PREFIX}messages_succeeded_total`) >= 3 &&
        counted(`${PREFIX}messages_dead_lettered_total`) >= 1 &&
        new RegExp(`^${PREFIX}queue_backlog\\{agent="${name}"\\}`, "m").test(answer)
        ? answer
        : undefined;
    });
    exposition = parseExposition(text);
    names = seriesNames(exposition.types);
  });
  after(async () => {
    await agent.stop();
    await broker.cleanup([exchange], [queue, `${queue}.dlq`]);
    await broker.close();
  });

  function queries(): Query[] {
    const all = [
      ...dashboardQueries(readDashboard()),
      ...ruleQueries(readFileSync(join(ROOT, RULES), "utf8")),
    ];
    for (const q of all) assert.notEqual(q.expr, "", `${q.where}: empty expression`);
    return all;
  }

  it("every metric the dashboard and the alert rules query is in /metrics, as a series name", () => {
    const missing: string[] = [];
    let used = 0;
    for (const q of queries()) {
      assert.doesNotMatch(q.expr, /__name__/, `${q.where}: select metrics by name, not by __name__`);
      for (const metric of ourNames(withoutStrings(q.expr))) {
        used++;
        if (!names.has(metric)) {
          const family = exposition.types.has(metric)
            ? ` (a ${exposition.types.get(metric)}: query ${HISTOGRAM_SERIES.map((s) => metric + s).join(", ")})`
            : "";
          missing.push(`${q.where}: ${metric}${family}`);
        }
      }
    }
    assert.deepEqual(missing, [], `not in the agent's /metrics:\n${missing.join("\n")}`);
    assert.ok(
      used >= 40,
      `only ${used} metric references read from the dashboard and rules: is the parser broken?`,
    );
  });

  it("every metric named anywhere in the dashboard and rule files (descriptions too) exists", () => {
    const known = new Set([...names, ...exposition.types.keys()]);
    for (const file of [DASHBOARD, RULES, RULE_TESTS]) {
      const unknown = [...new Set(ourNames(readFileSync(join(ROOT, file), "utf8")))].filter(
        (n) => !known.has(n),
      );
      assert.deepEqual(unknown, [], `${file} names metrics the agent does not expose`);
    }
  });

  it("labels the queries match on, group by and show exist on those metrics", () => {
    const ours = exposition.samples.filter((s) => s.name.startsWith(PREFIX));
    const allLabels = new Set([...ours.flatMap((s) => [...s.labels.keys()]), ...SCRAPE_LABELS]);
    const problems: string[] = [];
    for (const q of queries()) {
      for (const label of groupingLabels(q.expr, q.legend))
        if (!allLabels.has(label)) problems.push(`${q.where}: label "${label}" is on no series of ours`);
      for (const { name: metric, matchers } of selectors(q.expr)) {
        const samples = ours.filter((s) => s.name === metric);
        for (const { label, op, value } of matchers) {
          if (samples.length > 0 && !samples.some((s) => s.labels.has(label)))
            problems.push(`${q.where}: ${metric} has no label "${label}"`);
          if (op === "=" && !samples.some((s) => s.labels.get(label) === value))
            problems.push(`${q.where}: no ${metric}{${label}="${value}"} series in /metrics`);
        }
      }
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  });

  it("every metric the agent exposes is on the dashboard (new metrics join it)", () => {
    const onDashboard = new Set(
      dashboardQueries(readDashboard()).flatMap((q) => ourNames(withoutStrings(q.expr))),
    );
    const absent = [...exposition.types]
      .filter(([family]) => family.startsWith(PREFIX))
      .filter(([family, type]) =>
        type === "histogram"
          ? !HISTOGRAM_SERIES.some((s) => onDashboard.has(family + s))
          : !onDashboard.has(family),
      )
      .map(([family]) => family);
    assert.deepEqual(absent, [], `add a panel (or a query) to ${DASHBOARD} for these`);
  });

  it("the dashboard imports with a Prometheus datasource input and an agent variable", () => {
    const dashboard = readDashboard();
    assert.deepEqual(
      dashboard.__inputs.map((i) => [i.name, i.type, i.pluginId]),
      [["DS_PROMETHEUS", "datasource", "prometheus"]],
    );
    const datasource = dashboard.templating.list.find((v) => v.name === "DS_PROMETHEUS");
    assert.equal(
      datasource?.type,
      "datasource",
      "a DS_PROMETHEUS datasource variable, for provisioning from a file",
    );
    const variable = dashboard.templating.list.find((v) => v.name === "agent");
    assert.equal(variable?.definition, `label_values(${PREFIX}messages_received_total, agent)`);
    const panels = dashboard.panels.filter((p) => p.type !== "row");
    assert.ok(panels.length >= 15, `${panels.length} panels`);
    assert.equal(
      new Set(dashboard.panels.map((p) => p.id)).size,
      dashboard.panels.length,
      "panel ids are unique",
    );
    for (const panel of panels) {
      assert.equal(panel.datasource?.uid, DATASOURCE_UID, `panel "${panel.title}" datasource`);
      assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has a query`);
      for (const target of panel.targets ?? []) {
        assert.equal(target.datasource?.uid, DATASOURCE_UID, `panel "${panel.title}" target datasource`);
        for (const { name: metric, matchers } of selectors(target.expr ?? ""))
          assert.ok(
            matchers.some((m) => m.label === "agent" && m.op === "=~" && m.value === "$agent"),
            `panel "${panel.title}": ${metric} is not filtered by agent=~"$agent"`,
          );
      }
    }
    // The grid: 24 columns, no two panels on the same cell.
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24, `panel "${panel.title}" fits in 24 columns`);
      for (let row = y; row < y + h; row++)
        for (let col = x; col < x + w; col++) {
          const other = cells.get(`${row}:${col}`);
          assert.equal(other, undefined, `panels "${other}" and "${panel.title}" overlap`);
          cells.set(`${row}:${col}`, panel.title);
        }
    }
  });

  it("promtool accepts the rules, and the alerts fire as their unit tests say", async () => {
    assert.match(await promtool("check", "rules", RULES), /SUCCESS: \d+ rules found/);
    assert.match(await promtool("test", "rules", RULE_TESTS), /SUCCESS/);
  });
});
