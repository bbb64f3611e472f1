// The alert rules (deploy/prometheus/alerts.yml, and the same groups as the PrometheusRule of
// k8s/base): every series an expression reads is a metric a service registers (or Prometheus's
// own `up`), every job it names is a job both deployments scrape, the required alerts exist,
// and promtool accepts the file where it is installed.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { Registry } from "prom-client";
import { createAmpMetrics } from "../services/amp-worker/src/metrics.ts";
import { createGatewayMetrics } from "../services/connection-gateway/src/metrics.ts";
import { createRouterMetrics } from "../services/session-router/src/metrics.ts";
import { ROOT, onPath, readYamlDocs, type Doc } from "./support/deploy-checks.ts";
import { kustomizeBuild } from "./support/deploy-kustomize.ts";

const ALERTS = "deploy/prometheus/alerts.yml";
const [file] = readYamlDocs(ALERTS) as Doc[];
const rules = ((file?.groups ?? []) as Doc[]).flatMap((g) => g.rules as Doc[]);

/** Series Prometheus makes itself for every target. */
const PROMETHEUS_SERIES = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped"]);
/** PromQL words that are not series: operators, modifiers, aggregations' label clauses. */
const KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan"]);

async function exported(): Promise<Map<string, string>> {
  const registries: Registry[] = [createGatewayMetrics().base.registry, createRouterMetrics().registry, createAmpMetrics().registry];
  const all = new Map<string, string>();
  for (const registry of registries) for (const m of await registry.getMetricsAsJSON()) all.set(m.name, String(m.type));
  return all;
}

/** The series names a PromQL expression reads: strings, label matchers, ranges and label lists dropped, functions skipped. */
export function seriesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?/g)]
    .filter((m) => m[2] === undefined && !KEYWORDS.has(m[1]!.toLowerCase()) && !/^\d/.test(m[1]!))
    .map((m) => m[1]!);
}

/** The jobs a Prometheus of either deployment gives our services' targets. */
function composeJobs(): string[] {
  const [prom] = readYamlDocs("deploy/prometheus/prometheus.yml") as Doc[];
  return (prom?.scrape_configs as Doc[]).map((s) => s.job_name as string);
}
function k8sJobs(): string[] {
  const { docs } = kustomizeBuild("k8s/base");
  return docs.filter((d) => d.kind === "ServiceMonitor").flatMap((m) => {
    const services = docs.filter((s) => s.kind === "Service" && s.metadata.namespace === m.metadata.namespace
      && Object.entries(m.spec.selector.matchLabels as Doc).every(([k, v]) => s.metadata.labels?.[k] === v));
    // prometheus-operator: job is the Service's jobLabel label when set, else the Service's name.
    return services.map((s) => (m.spec.jobLabel ? s.metadata.labels?.[m.spec.jobLabel] : s.metadata.name) as string);
  });
}

describe(ALERTS, () => {
  it("has the alerts an operator needs", () => {
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(expect.arrayContaining(["XmppdGatewayDown", "XmppdNoLiveRouter", "XmppdAmpBacklogGrowing", "XmppdJetStreamUnavailable"]));
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect(["warning", "critical"], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
    }
  });

  it("reads only series a service exports (or Prometheus's own)", async () => {
    const names = await exported();
    const known = (s: string) => PROMETHEUS_SERIES.has(s) || names.has(s) || names.get(s.replace(/_(bucket|sum|count)$/, "")) === "histogram";
    const read = rules.flatMap((r) => seriesIn(String(r.expr)).map((s) => ({ alert: r.alert as string, s })));
    expect(read.length).toBeGreaterThan(rules.length);
    expect(read.filter(({ s }) => !known(s)).map(({ alert, s }) => `${alert}: ${s}`)).toEqual([]);
  });

  it("names only jobs that docker-compose's Prometheus and the ServiceMonitors both produce", () => {
    const services = ["connection-gateway", "session-router", "amp-worker"];
    expect(composeJobs()).toEqual(expect.arrayContaining(services));
    expect(k8sJobs().sort()).toEqual([...services].sort());
    const jobs = rules.flatMap((r) => [...String(r.expr).matchAll(/\bjob\s*=~?\s*"([^"]+)"/g)].map((m) => m[1]!));
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(services, job).toContain(job);
  });

  it("docker-compose's Prometheus loads it", () => {
    const [prom] = readYamlDocs("deploy/prometheus/prometheus.yml") as Doc[];
    expect(prom?.rule_files).toEqual(["alerts.yml"]);
    const [compose] = readYamlDocs("docker-compose.yml") as Doc[];
    expect(compose?.services.prometheus.volumes).toContain("./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro");
  });

  it("is the PrometheusRule of every Kubernetes build", () => {
    for (const dir of ["k8s/base", "k8s/overlays/dev", "k8s/overlays/production"]) {
      const prs = kustomizeBuild(dir).docs.filter((d) => d.kind === "PrometheusRule");
      expect(prs.length, dir).toBe(1);
      expect(prs[0]!.spec.groups, dir).toEqual(file?.groups);
    }
  });

  it("the series reader skips functions, labels and keywords", () => {
    expect(seriesIn('absent(up{job="x"} == 1)')).toEqual(["up"]);
    expect(seriesIn('sum by (reason) (rate(a_total{reason!="b"}[5m])) > 0 and deriv(max(c)[15m:1m]) > 0')).toEqual(["a_total", "c"]);
    expect(seriesIn("histogram_quantile(0.99, rate(h_bucket[5m])) > 2.5")).toEqual(["h_bucket"]);
  });

  const hasPromtool = onPath("promtool");
  it.skipIf(!hasPromtool)(`passes promtool check rules${hasPromtool ? "" : " (skipped: no promtool on PATH)"}`, () => {
    const result = spawnSync("promtool", ["check", "rules", ALERTS], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });
});
