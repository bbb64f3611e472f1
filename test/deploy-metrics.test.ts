// docs/metrics.md and the Grafana dashboard against the services' real registries, so that
// neither names a metric no service exports, and no exported metric goes undocumented.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Registry } from "prom-client";
import { createAmpMetrics } from "../services/amp-worker/src/metrics.ts";
import { createGatewayMetrics } from "../services/connection-gateway/src/metrics.ts";
import { createRouterMetrics } from "../services/session-router/src/metrics.ts";
import { onPath, readText } from "./support/deploy-checks.ts";

/** The AMP rule metrics being added to the worker (issue 6); documented and charted ahead of them. */
const AMP_RULE_METRICS: Record<string, string> = {
  xmpp_amp_rules_total: "counter",
  xmpp_amp_expiry_lag_seconds: "histogram",
  xmpp_amp_timers_pending: "gauge",
  xmpp_amp_events_total: "counter",
};
// prom-client's collectDefaultMetrics: documented by example, not one by one.
const DEFAULT_METRIC = /^xmpp_[a-z]+_(process|nodejs)_/;

async function exported(...registries: Registry[]): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const registry of registries) for (const m of await registry.getMetricsAsJSON()) all.set(m.name, String(m.type));
  return all;
}

const registries = [createGatewayMetrics().base.registry, createRouterMetrics().registry, createAmpMetrics().registry];
const known = async (): Promise<Map<string, string>> => {
  const names = await exported(...registries);
  for (const [name, type] of Object.entries(AMP_RULE_METRICS)) if (!names.has(name)) names.set(name, type);
  return names;
};

/** A series name in a query is a metric, or a histogram's _bucket/_sum/_count series. */
function metricOf(series: string, names: Map<string, string>): string | undefined {
  if (names.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, "");
  return names.get(base) === "histogram" ? base : undefined;
}

const doc = readText("docs/metrics.md");
const docRows = [...doc.matchAll(/^\| `(xmpp_[a-z0-9_]+)` \| (\w+) \|/gm)].map((m) => ({ name: m[1] as string, type: m[2] as string }));

describe("docs/metrics.md", () => {
  it("lists each metric with the type its service registers", async () => {
    const names = await known();
    expect(docRows.length).toBeGreaterThan(20);
    for (const row of docRows) expect(`${row.name} ${names.get(row.name) ?? "not exported"}`).toBe(`${row.name} ${row.type}`);
  });

  it("names no metric that no service exports, anywhere in its text", async () => {
    const names = await known();
    const mentioned = [...doc.matchAll(/\bxmpp_[a-z0-9_]*[a-z0-9]\b/g)].map((m) => m[0]).filter((n) => !n.endsWith("_"));
    expect(mentioned.filter((n) => !names.has(n))).toEqual([]);
  });

  it("documents every metric a service registers, and the four AMP rule metrics", async () => {
    const documented = new Set(docRows.map((r) => r.name));
    const own = [...(await exported(...registries)).keys()].filter((n) => !DEFAULT_METRIC.test(n));
    expect(own.length).toBeGreaterThan(15);
    expect([...own, ...Object.keys(AMP_RULE_METRICS)].filter((n) => !documented.has(n))).toEqual([]);
  });
});

describe("deploy/grafana/dashboards/xmppd.json", () => {
  const dashboard = JSON.parse(readText("deploy/grafana/dashboards/xmppd.json")) as { uid: string; panels: { title: string; targets?: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it("queries only exported metrics", async () => {
    const names = await known();
    expect(exprs.length).toBeGreaterThan(20);
    const unknown = exprs.flatMap(({ panel, expr }) =>
      [...expr.matchAll(/\bxmpp_[a-z0-9_]+/g)].map((m) => m[0]).filter((s) => metricOf(s, names) === undefined).map((s) => `${panel}: ${s}`));
    expect(unknown).toEqual([]);
  });

  it("charts every documented service metric", () => {
    const charted = new Set(exprs.flatMap(({ expr }) => [...expr.matchAll(/\bxmpp_[a-z0-9_]+/g)].map((m) => m[0].replace(/_bucket$/, ""))));
    const missing = docRows.map((r) => r.name).filter((n) => !DEFAULT_METRIC.test(n) && !charted.has(n));
    expect(missing).toEqual([]);
  });

  const hasPromtool = onPath("promtool");
  it.skipIf(!hasPromtool)(`every query is valid PromQL (promtool check rules)${hasPromtool ? "" : " (skipped: no promtool on PATH)"}`, () => {
    // Each query as a recording rule, Grafana's $__rate_interval made a plain range.
    const rules = exprs.map(({ expr }, i) => `      - record: q${i}\n        expr: ${JSON.stringify(expr.replaceAll("$__rate_interval", "5m"))}`);
    const file = join(mkdtempSync(join(tmpdir(), "dashboard-")), "rules.yml");
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join("\n")}\n`);
    const result = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8", timeout: 20_000 });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it("uses the provisioned datasource and a histogram_quantile only over _bucket series", () => {
    const ds = readText("deploy/grafana/provisioning/datasources/prometheus.yml");
    expect(ds).toMatch(/type: prometheus/);
    for (const { panel, expr } of exprs.filter((e) => e.expr.includes("histogram_quantile"))) expect(expr, panel).toMatch(/_bucket\[/);
  });
});
