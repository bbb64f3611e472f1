// k8s/: every overlay built (test/support/deploy-kustomize.ts), every object validated against
// the Kubernetes API schemas (kubernetes-models, KEDA and prometheus-operator models; offline),
// then cross-checked against the code: probes and ports against the config defaults, the
// environment against the config loader, the KEDA trigger against the bus's stream names, and
// the NetworkPolicies against the tier rules of docs/architecture.md (invariant 5).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ampQueue, subjects } from "@xmppd/bus";
import { ROOT, configFrom, configProblems, readYamlDocs, resolveEnv, type Doc } from "./support/deploy-checks.ts";
import { GATEWAY_HTTP_PORT, GATEWAY_PORTS, OURS, commandProblems, isLoopback, opsOf } from "./support/deploy-facts.ts";
import { kustomizeBuild } from "./support/deploy-kustomize.ts";
import { schemaProblems, shapeProblems } from "./support/deploy-k8s-schemas.ts";

const OVERLAYS = readdirSync(join(ROOT, "k8s/overlays")).sort();
const BUILDS = ["k8s/base", ...OVERLAYS.map((o) => `k8s/overlays/${o}`)];
const NAMESPACES = ["xmppd-dmz", "xmppd-private"];

it("has dev and production overlays", () => {
  expect(OVERLAYS).toEqual(expect.arrayContaining(["dev", "production"]));
});

it("k8s/base/kustomization.yaml lists exactly the files present", () => {
  const files = readdirSync(join(ROOT, "k8s/base")).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml").sort();
  const [kustomization] = readYamlDocs("k8s/base/kustomization.yaml");
  expect([...(kustomization?.resources ?? [])].sort()).toEqual(files);
});

it("every YAML file under k8s/ is used by some overlay", () => {
  const used = new Set(OVERLAYS.flatMap((o) => kustomizeBuild(`k8s/overlays/${o}`).files));
  const all = readdirSync(join(ROOT, "k8s"), { recursive: true, encoding: "utf8" }).filter((f) => /\.ya?ml$/.test(f)).map((f) => `k8s/${f}`);
  expect(all.filter((f) => !used.has(f)).sort()).toEqual([]);
});

describe.each(BUILDS)("%s", (dir) => {
  const { docs } = kustomizeBuild(dir);
  const of = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployment = (name: string) => of("Deployment").find((d) => d.metadata.name === name) as Doc;
  const containerOf = (d: Doc): Doc => d.spec.template.spec.containers[0];
  const envOf = (name: string) => resolveEnv(docs, deployment(name).metadata.namespace, containerOf(deployment(name)));
  const gateway = () => deployment("connection-gateway");
  /** The ops listener a service's environment configures (/metrics, /healthz, /readyz). */
  const opsAt = (name: string) => opsOf(name, configFrom(envOf(name).env));
  /** Every ops port any of our Deployments listens on. */
  const opsPorts = () => new Set(of("Deployment").map((d) => opsOf(d.spec.template.metadata.labels["app.kubernetes.io/name"], configFrom(resolveEnv(docs, d.metadata.namespace, containerOf(d)).env)).port));

  it("every object is valid against its Kubernetes schema, with no misspelt field", () => {
    expect(docs.flatMap(schemaProblems)).toEqual([]);
    expect(docs.flatMap(shapeProblems)).toEqual([]);
  });

  it("every namespaced object is in one of the two tiers' namespaces", () => {
    expect(of("Namespace").map((n) => n.metadata.name).sort()).toEqual(NAMESPACES);
    for (const d of docs.filter((x) => x.kind !== "Namespace")) expect(NAMESPACES, `${d.kind} ${d.metadata.name}`).toContain(d.metadata.namespace);
  });

  it("deploys each service once (the gateway once per bus identity): its entry file, a tagged image, probes on its ops port", () => {
    const tierOf = (d: Doc) => d.spec.template.metadata.labels["app.kubernetes.io/name"] as string;
    expect(of("Deployment").filter((d) => tierOf(d) !== "connection-gateway").map((d) => d.metadata.name).sort()).toEqual(OURS.filter((n) => n !== "connection-gateway").sort());
    expect(new Set(of("Deployment").map(tierOf))).toEqual(new Set(OURS));
    for (const name of OURS) {
      const c = containerOf(deployment(name));
      expect(commandProblems(c.command), name).toEqual([]);
      expect(c.image, name).toMatch(/^[a-z0-9./-]*xmppd:[\w.-]+$/);
      expect([c.readinessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.path], name).toEqual(["/readyz", "/healthz"]);
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        const port = (c.ports ?? []).find((p: Doc) => p.name === probe.httpGet.port || p.containerPort === probe.httpGet.port);
        expect(port?.containerPort, `${name} probe port ${probe.httpGet.port}`).toBe(opsAt(name).port);
      }
    }
  });

  it("every ops listener leaves loopback (the kubelet probes and Prometheus come from outside the pod)", () => {
    for (const name of OURS) expect(isLoopback(opsAt(name).host), `${name} ops.host ${opsAt(name).host}`).toBe(false);
  });

  it("no ops port in a LoadBalancer or NodePort Service or behind an Ingress; a Service with one has nothing else", () => {
    const ops = opsPorts();
    const targetsOf = (s: Doc): number[] => {
      const pods = of("Deployment").filter((d) => d.metadata.namespace === s.metadata.namespace && selectsLabels({ matchLabels: s.spec.selector }, d.spec.template.metadata.labels));
      return (s.spec.ports as Doc[]).flatMap((p) => pods.map((d) => targetPort(containerOf(d), p.targetPort ?? p.port) as number));
    };
    const backends = of("Ingress").flatMap((ing) => (ing.spec.rules as Doc[]).flatMap((r) => (r.http.paths as Doc[]).map((path) => `${ing.metadata.namespace}/${path.backend.service.name}`)));
    for (const s of of("Service")) {
      const targets = targetsOf(s);
      const isPublic = ["LoadBalancer", "NodePort"].includes(s.spec.type) || backends.includes(`${s.metadata.namespace}/${s.metadata.name}`);
      if (isPublic) expect(targets.filter((t) => ops.has(t)), s.metadata.name).toEqual([]);
      if (targets.some((t) => ops.has(t))) expect(targets.every((t) => ops.has(t)), `${s.metadata.name} mixes ops and other ports`).toBe(true);
    }
  });

  it("runs each gateway identity as its own Deployment of one pod, the copies identical but for that identity", () => {
    const gateways = of("Deployment").filter((d) => d.spec.template.metadata.labels["app.kubernetes.io/name"] === "connection-gateway");
    expect(gateways.length).toBeGreaterThanOrEqual(2);
    const identityOf = (d: Doc) => containerOf(d).env.find((e: Doc) => e.name === "XMPPD__gateway__name").value as string;
    expect(new Set(gateways.map(identityOf)).size).toBe(gateways.length);
    /** The Deployment with its identity spelled as a placeholder. */
    const generic = (d: Doc) => JSON.parse(JSON.stringify(d).replace(`"${d.metadata.name}"`, '"<name>"').replaceAll(identityOf(d), "<id>"));
    for (const d of gateways) {
      expect(d.spec.replicas, d.metadata.name).toBe(1);
      expect(d.spec.template.metadata.labels["xmppd.io/gateway"], d.metadata.name).toBe(identityOf(d));
      expect(generic(d), d.metadata.name).toEqual(generic(gateways[0]!));
    }
  });

  it("every container requests CPU and memory and has a memory limit", () => {
    for (const d of of("Deployment")) {
      const r = containerOf(d).resources ?? {};
      expect([r.requests?.cpu, r.requests?.memory, r.limits?.memory].every(Boolean), d.metadata.name).toBe(true);
    }
  });

  it("the gateway's grace period covers gateway.drainMs plus time to settle; others get at least 10 s", () => {
    const drainMs = configFrom(envOf("connection-gateway").env).gateway.drainMs;
    const grace = gateway().spec.template.spec.terminationGracePeriodSeconds as number;
    expect(grace * 1000).toBeGreaterThanOrEqual(drainMs + 5000);
    expect(grace * 1000).toBeLessThanOrEqual(drainMs + 30_000);
    for (const name of OURS) expect(deployment(name).spec.template.spec.terminationGracePeriodSeconds, name).toBeGreaterThanOrEqual(10);
  });

  it("a PodDisruptionBudget per service selects its pods and lets one go at a time", () => {
    for (const name of OURS) {
      const d = deployment(name);
      const labels = d.spec.template.metadata.labels;
      const pdbs = of("PodDisruptionBudget").filter((p) => p.metadata.namespace === d.metadata.namespace
        && Object.entries(p.spec.selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v));
      expect(pdbs.length, name).toBe(1);
      const { maxUnavailable, minAvailable } = pdbs[0]!.spec;
      expect(maxUnavailable === 1 || (typeof minAvailable === "number" && minAvailable < d.spec.replicas), name).toBe(true);
    }
  });

  it("every ConfigMap holds only variables the config loader accepts, and each service's environment loads", () => {
    for (const map of of("ConfigMap")) expect(configProblems(map.data ?? {}), map.metadata.namespace).toEqual([]);
    for (const name of OURS) {
      expect(envOf(name).problems, name).toEqual([]);
      expect(configProblems(envOf(name).env), name).toEqual([]);
    }
  });

  it("the gateway gets NATS only, no Secret by environment, and by volume only its TLS certificate and its own bus identity", () => {
    const resolved = envOf("connection-gateway");
    expect(resolved.secrets).toEqual([]);
    const config = configFrom(resolved.env);
    expect(config.nats.url).toBeTruthy();
    expect({ redis: config.redis.url, database: config.database.url, amp: config.amp.databaseUrl }).toEqual({});
    for (const s of of("Secret").filter((x) => x.metadata.namespace === "xmppd-dmz")) expect(s.type, s.metadata.name).toBe("kubernetes.io/tls");
    const spec = gateway().spec.template.spec;
    for (const volume of (spec.volumes ?? []).filter((v: Doc) => v.secret)) {
      const mount = containerOf(gateway()).volumeMounts?.find((m: Doc) => m.name === volume.name);
      if (volume.secret.secretName === `nats-gateway-${config.gateway.name}`) {
        expect([config.nats.seedFile, config.nats.caFile]).toEqual([`${mount?.mountPath}/seed`, `${mount?.mountPath}/ca.pem`]);
        continue;
      }
      // A kubernetes.io/tls Secret has tls.crt and tls.key: the config must point at them.
      expect([config.gateway.tls.certFile, config.gateway.tls.keyFile], volume.name).toEqual([`${mount?.mountPath}/tls.crt`, `${mount?.mountPath}/tls.key`]);
    }
  });

  it("the private tier gets DATABASE_URL and REDIS_URL from a Secret, never a ConfigMap", () => {
    for (const name of OURS.filter((n) => n !== "connection-gateway")) {
      const resolved = envOf(name);
      expect([resolved.source.DATABASE_URL, resolved.source.REDIS_URL], name).toEqual(["Secret", "Secret"]);
      expect(resolved.env.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
      expect(resolved.env.REDIS_URL).toMatch(/^rediss?:\/\//);
    }
    const leaked = of("ConfigMap").filter((d) => Object.keys(d.data ?? {}).some((k) => /DATABASE|REDIS|database|redis/.test(k)));
    expect(leaked.map((d) => d.metadata.namespace)).toEqual([]);
  });

  it("a LoadBalancer Service exposes c2s, direct TLS and (unless wss:// ends in an ingress) HTTP, keeping client addresses", () => {
    const container = containerOf(gateway());
    const labels = gateway().spec.template.metadata.labels;
    const behindProxy = configFrom(envOf("connection-gateway").env).gateway.websocket.tlsTerminatedByProxy;
    const lbs = of("Service").filter((s) => s.spec.type === "LoadBalancer");
    expect(lbs.map((s) => s.metadata.namespace)).toEqual(["xmppd-dmz"]);
    const lb = lbs[0] as Doc;
    expect(selectsLabels({ matchLabels: lb.spec.selector }, labels)).toBe(true);
    const exposed = (lb.spec.ports as Doc[]).map((p) => [p.port, targetPort(container, p.targetPort)]);
    const expected = GATEWAY_PORTS.filter((p) => !(behindProxy && p === GATEWAY_HTTP_PORT));
    expect(exposed.sort()).toEqual(expected.map((p) => [p, p]).sort());
    // Per-IP limits need the client's own address (docs/architecture.md "Limits").
    expect(lb.spec.externalTrafficPolicy).toBe("Local");
  });

  it("an ingress terminating wss:// routes /xmpp-websocket to the gateway's HTTP port wherever ws:// counts as secure", () => {
    const behindProxy = configFrom(envOf("connection-gateway").env).gateway.websocket.tlsTerminatedByProxy;
    const routes = of("Ingress").flatMap((ing) => (ing.spec.rules as Doc[]).flatMap((rule) => (rule.http.paths as Doc[]).map((path) => ({ ing, rule, path }))));
    expect(routes.length > 0).toBe(behindProxy);
    for (const { ing, rule, path } of routes) {
      expect(path.path).toBe("/xmpp-websocket");
      expect((ing.spec.tls as Doc[]).some((t) => t.hosts.includes(rule.host))).toBe(true);
      const service = of("Service").find((s) => s.metadata.namespace === ing.metadata.namespace && s.metadata.name === path.backend.service.name) as Doc;
      expect(selectsLabels({ matchLabels: service.spec.selector }, gateway().spec.template.metadata.labels)).toBe(true);
      const port = (service.spec.ports as Doc[]).find((p) => p.name === path.backend.service.port.name || p.port === path.backend.service.port.number) as Doc;
      expect(targetPort(containerOf(gateway()), port.targetPort)).toBe(GATEWAY_HTTP_PORT);
    }
  });

  it("a ServiceMonitor per service scrapes /metrics on its ops port through exactly one Service", () => {
    for (const name of OURS) {
      const d = deployment(name);
      const ns = d.metadata.namespace;
      const servicesOf = (m: Doc) => of("Service").filter((s) => s.metadata.namespace === ns && selectsLabels(m.spec.selector, s.metadata.labels));
      const monitors = of("ServiceMonitor").filter((m) => m.metadata.namespace === ns
        && servicesOf(m).some((s) => selectsLabels({ matchLabels: s.spec.selector }, d.spec.template.metadata.labels)));
      expect(monitors.length, name).toBe(1);
      const services = servicesOf(monitors[0] as Doc);
      expect(services.length, `${name}: services selected`).toBe(1);
      for (const ep of monitors[0]!.spec.endpoints as Doc[]) {
        const port = (services[0]!.spec.ports as Doc[]).find((p) => p.name === ep.port);
        expect([ep.path ?? "/metrics", targetPort(containerOf(d), port?.targetPort)], name).toEqual(["/metrics", opsAt(name).port]);
      }
    }
  });

  it("at most one autoscaler per Deployment, and a CPU HPA only where CPU is requested", () => {
    const targets = [
      ...of("ScaledObject").map((s) => `${s.metadata.namespace}/${s.spec.scaleTargetRef.name}`),
      ...of("HorizontalPodAutoscaler").map((h) => `${h.metadata.namespace}/${h.spec.scaleTargetRef.name}`),
    ];
    expect(new Set(targets).size).toBe(targets.length);
    for (const hpa of of("HorizontalPodAutoscaler")) {
      const d = deployment(hpa.spec.scaleTargetRef.name);
      expect(d?.metadata.namespace).toBe(hpa.metadata.namespace);
      if (hpa.spec.metrics.some((m: Doc) => m.resource?.name === "cpu")) expect(containerOf(d).resources.requests.cpu).toBeTruthy();
    }
  });

  it("a KEDA ScaledObject, if any, reads every durable consumer of the AMP work queue", () => {
    const config = configFrom(envOf("amp-worker").env);
    const { spec } = ampQueue(subjects(config.cluster), config.amp.partitions);
    const consumers = spec.partitions?.length ? spec.partitions.map((p) => p.durable) : [spec.durable];
    const natsHost = new URL(config.nats.url as string).hostname;
    for (const so of of("ScaledObject")) {
      expect(so.spec.scaleTargetRef.name).toBe("amp-worker");
      expect(so.metadata.namespace).toBe(deployment("amp-worker").metadata.namespace);
      const triggers = so.spec.triggers as Doc[];
      expect(triggers.map((t) => t.type)).toEqual(triggers.map(() => "nats-jetstream"));
      expect(triggers.map((t) => t.metadata.consumer)).toEqual(consumers);
      for (const t of triggers) {
        expect({ stream: t.metadata.stream, endpoint: t.metadata.natsServerMonitoringEndpoint }).toEqual({ stream: spec.stream, endpoint: `${natsHost}:8222` });
        expect(Number(t.metadata.lagThreshold)).toBeGreaterThan(0);
      }
      // Several consumers: the backlog is their sum, not the largest one (the HPA's default).
      if (triggers.length > 1) {
        const formula = so.spec.advanced?.scalingModifiers?.formula as string;
        expect(formula.split("+").map((x) => x.trim()).sort()).toEqual(triggers.map((t) => t.name).sort());
        expect(Number(so.spec.advanced.scalingModifiers.target)).toBeGreaterThan(0);
      }
    }
    if (dir.endsWith("/production")) expect(of("ScaledObject").length).toBe(1);
  });
});

/** The container port a Service's targetPort (name or number) means. */
function targetPort(container: Doc, target: unknown): number | undefined {
  return (container.ports as Doc[]).find((cp) => cp.name === target || cp.containerPort === target)?.containerPort;
}

function selectsLabels(selector: Doc | undefined, labels: Record<string, string> = {}): boolean {
  return Object.entries((selector?.matchLabels ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v);
}
