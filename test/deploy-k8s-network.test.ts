// The NetworkPolicies of every k8s overlay, evaluated (test/support/deploy-netpol.ts) for the
// tier rules: only the gateway is reachable from outside; the gateway reaches NATS and nothing
// else (docs/architecture.md invariant 5: no path to the data even if it is compromised); only the
// router and the AMP workers reach Redis and Postgres.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, configFrom, resolveEnv, type Doc } from "./support/deploy-checks.ts";
import { GATEWAY_HTTP_PORT, opsOf } from "./support/deploy-facts.ts";
import { kustomizeBuild } from "./support/deploy-kustomize.ts";
import { OUTSIDE, createNetwork, type Pod } from "./support/deploy-netpol.ts";

const BUILDS = ["k8s/base", ...readdirSync(join(ROOT, "k8s/overlays")).sort().map((o) => `k8s/overlays/${o}`)];

/** The backends as the base kustomization expects them (labels, ports). */
const BACKENDS: Pod[] = [
  { name: "nats", namespace: "xmppd-private", labels: { "app.kubernetes.io/name": "nats" }, ports: [{ name: "client", containerPort: 4222 }, { name: "monitor", containerPort: 8222 }] },
  { name: "redis", namespace: "xmppd-private", labels: { "app.kubernetes.io/name": "redis" }, ports: [{ containerPort: 6379 }] },
  { name: "postgres", namespace: "xmppd-private", labels: { "app.kubernetes.io/name": "postgres" }, ports: [{ containerPort: 5432 }] },
];
const OTHERS: Pod[] = [
  OUTSIDE,
  { name: "prometheus", namespace: "monitoring", labels: { "app.kubernetes.io/name": "prometheus" } },
  { name: "keda-operator", namespace: "keda", labels: { app: "keda-operator" } },
  { name: "ingress-controller", namespace: "ingress-nginx", labels: { "app.kubernetes.io/name": "ingress-nginx" } },
  { name: "stranger", namespace: "default", labels: { app: "other" } },
  { name: "kube-dns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" }, ports: [{ containerPort: 53 }] },
];

describe.each(BUILDS)("%s network policies", (dir) => {
  const { docs } = kustomizeBuild(dir);
  const net = createNetwork(docs);
  // One pod per tier: the gateway's Deployments (one per bus identity) share their policies by label.
  const ours: Pod[] = docs.filter((d) => d.kind === "Deployment" && d.metadata.name === d.spec.template.metadata.labels["app.kubernetes.io/name"]).map((d: Doc) => ({
    name: d.metadata.name,
    namespace: d.metadata.namespace,
    labels: d.spec.template.metadata.labels,
    ports: d.spec.template.spec.containers[0].ports,
  }));
  // Where the build deploys NATS, Redis and Postgres itself (k8s/components/infra), their real pods
  // stand in for the expected ones, so their labels, named ports and policies are what is checked.
  const deployed = (b: Pod): Pod | undefined => {
    const d = docs.find((x) => x.kind === "StatefulSet" && x.metadata.namespace === b.namespace && x.metadata.name === b.name);
    return d && { name: b.name, namespace: d.metadata.namespace, labels: d.spec.template.metadata.labels, ports: d.spec.template.spec.containers[0].ports };
  };
  const backends = BACKENDS.map((b) => deployed(b) ?? b);
  const all = [...ours, ...backends, ...OTHERS];
  const gatewayDoc = docs.find((d) => d.kind === "Deployment" && d.metadata.name === "connection-gateway") as Doc;
  const gatewayConfig = configFrom(resolveEnv(docs, "xmppd-dmz", gatewayDoc.spec.template.spec.containers[0]).env);
  const behindProxy = gatewayConfig.gateway.websocket.tlsTerminatedByProxy;
  /** Each of our services' ops port, as its environment configures it. */
  const opsPort = (name: string): number => {
    const d = docs.find((x) => x.kind === "Deployment" && x.metadata.name === name) as Doc;
    return opsOf(name, configFrom(resolveEnv(docs, d.metadata.namespace, d.spec.template.spec.containers[0]).env)).port;
  };
  const pod = (name: string) => all.find((p) => p.name === name) as Pod;
  const portsOf = (p: Pod) => (p.ports ?? []).map((x) => x.containerPort);
  /** Who may connect to any port of the server. */
  const clientsOf = (server: string): string[] =>
    all.filter((c) => c.name !== server && portsOf(pod(server)).some((port) => net.allows(c, pod(server), port))).map((c) => c.name).sort();

  it("from outside, only the gateway's public ports are reachable (not ops; not HTTP where wss:// ends in the ingress)", () => {
    const reachable = [...ours, ...backends].flatMap((p) => portsOf(p).filter((port) => net.allows(OUTSIDE, p, port)).map((port) => `${p.name}:${port}`));
    const http = GATEWAY_HTTP_PORT;
    const open = portsOf(pod("connection-gateway")).filter((port) => port !== opsPort("connection-gateway") && !(behindProxy && port === http));
    expect(reachable.sort()).toEqual(open.map((port) => `connection-gateway:${port}`).sort());
    // The gateway takes ws:// on its HTTP port as secure then: only the TLS-terminating ingress may send it.
    if (behindProxy) {
      expect(net.allows(pod("ingress-controller"), pod("connection-gateway"), http as number)).toBe(true);
      expect(net.allows(pod("stranger"), pod("connection-gateway"), http as number)).toBe(false);
    }
  });

  it("the gateway reaches NATS's client port and DNS, nothing else, by its own egress policy alone", () => {
    const gateway = pod("connection-gateway");
    for (const check of [net.allows, net.egressAllows]) {
      const reached = all.flatMap((p) => [...portsOf(p), 443, 80].filter((port) => p !== gateway && check(gateway, p, port)).map((port) => `${p.name}:${port}`));
      expect(reached.sort()).toEqual(["kube-dns:53", "nats:4222"]);
    }
  });

  it("only the router and the AMP workers reach Redis and Postgres, by their ingress policy alone", () => {
    for (const backend of ["redis", "postgres"]) {
      expect(clientsOf(backend), backend).toEqual(["amp-worker", "session-router"]);
      const port = portsOf(pod(backend))[0] as number;
      expect(all.filter((c) => c.name !== backend && net.ingressAllows(c, pod(backend), port)).map((c) => c.name).sort(), backend).toEqual(["amp-worker", "session-router"]);
    }
  });

  it("the router and the AMP workers reach NATS, Redis and Postgres", () => {
    for (const name of ["session-router", "amp-worker"]) {
      for (const [backend, port] of [["nats", 4222], ["redis", 6379], ["postgres", 5432]] as const) {
        expect(net.allows(pod(name), pod(backend), port), `${name} -> ${backend}`).toBe(true);
      }
    }
  });

  it("NATS, Redis and Postgres, where deployed here, have the labels and ports the policies name, and open no connection", () => {
    for (const b of BACKENDS) {
      const real = deployed(b);
      if (!real) continue;
      expect(real.labels?.["app.kubernetes.io/name"], b.name).toBe(b.labels?.["app.kubernetes.io/name"]);
      expect(portsOf(real).sort(), b.name).toEqual(portsOf(b).sort());
      for (const p of b.ports ?? []) if (p.name) expect(real.ports?.find((x) => x.containerPort === p.containerPort)?.name, `${b.name}:${p.containerPort}`).toBe(p.name);
      const reached = all.flatMap((p) => [...portsOf(p), 53, 443].filter((port) => p !== real && net.allows(real, p, port)).map((port) => `${p.name}:${port}`));
      expect(reached, b.name).toEqual([]);
    }
  });

  it("NATS's client port takes the three tiers only; KEDA reads its monitoring port", () => {
    const clients = all.filter((c) => net.allows(c, pod("nats"), 4222)).map((c) => c.name).sort();
    expect(clients).toEqual(["amp-worker", "connection-gateway", "session-router"]);
    expect(net.allows(pod("keda-operator"), pod("nats"), 8222)).toBe(true);
    expect(net.allows(pod("stranger"), pod("nats"), 8222)).toBe(false);
  });

  it("every service's ops port is declared, and only Prometheus in namespace monitoring reaches it", () => {
    for (const { name } of ours) {
      const port = opsPort(name);
      expect(portsOf(pod(name)), name).toContain(port);
      expect(all.filter((c) => c.name !== name && net.allows(c, pod(name), port)).map((c) => c.name), `${name}:${port}`).toEqual(["prometheus"]);
    }
  });
});
