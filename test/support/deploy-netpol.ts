// NetworkPolicy semantics (networking.k8s.io/v1), enough to ask "may A open a TCP connection to
// port P of B?" of a built overlay: a pod selected by no policy of a type is open in that
// direction; otherwise some rule of a selecting policy must match the peer and the port, on
// the egress side of the client and the ingress side of the server alike.
import type { Doc, Env } from "./deploy-checks.ts";

export interface Pod {
  name: string;
  /** Absent for a client outside the cluster (it matches ipBlock peers only). */
  namespace?: string;
  labels?: Env;
  ports?: { name?: string; containerPort: number }[];
}

export const OUTSIDE: Pod = { name: "internet" };

type Direction = "Ingress" | "Egress";

export function selects(selector: Doc | undefined, labels: Env = {}): boolean {
  if (selector === undefined) return true;
  const byLabel = Object.entries((selector.matchLabels ?? {}) as Env).every(([k, v]) => labels[k] === v);
  const byExpr = ((selector.matchExpressions ?? []) as Doc[]).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case "In": return has && (e.values as string[]).includes(labels[e.key] as string);
      case "NotIn": return !has || !(e.values as string[]).includes(labels[e.key] as string);
      case "Exists": return has;
      case "DoesNotExist": return !has;
      default: throw new Error(`unknown selector operator ${e.operator}`);
    }
  });
  return byLabel && byExpr;
}

export function createNetwork(docs: readonly Doc[]) {
  const policies = docs.filter((d) => d.kind === "NetworkPolicy");
  const namespaceLabels = (ns: string): Env => {
    const doc = docs.find((d) => d.kind === "Namespace" && d.metadata.name === ns);
    // The API server sets this label on every namespace.
    return { ...(doc?.metadata.labels ?? {}), "kubernetes.io/metadata.name": ns };
  };
  const typesOf = (p: Doc): Direction[] => p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
  const selecting = (pod: Pod, dir: Direction): Doc[] =>
    policies.filter((p) => p.metadata.namespace === pod.namespace && typesOf(p).includes(dir) && selects(p.spec.podSelector, pod.labels));

  const peerMatches = (peer: Doc, policyNs: string, other: Pod): boolean => {
    if (peer.ipBlock) return other.namespace === undefined && peer.ipBlock.cidr === "0.0.0.0/0";
    if (other.namespace === undefined) return false;
    const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, namespaceLabels(other.namespace)) : other.namespace === policyNs;
    return nsOk && (peer.podSelector === undefined || selects(peer.podSelector, other.labels));
  };
  const portMatches = (ports: Doc[] | undefined, port: number, server: Pod): boolean =>
    ports === undefined || ports.length === 0 || ports.some((p) => {
      if ((p.protocol ?? "TCP") !== "TCP") return false;
      if (p.port === undefined) return true;
      const number = typeof p.port === "number" ? p.port : server.ports?.find((sp) => sp.name === p.port)?.containerPort;
      return number !== undefined && port >= number && port <= (p.endPort ?? number);
    });
  const side = (pod: Pod, dir: Direction, peer: Pod, port: number, server: Pod): boolean => {
    if (pod.namespace === undefined) return true;
    const mine = selecting(pod, dir);
    if (mine.length === 0) return true;
    const rulesKey = dir === "Ingress" ? "ingress" : "egress";
    const peersKey = dir === "Ingress" ? "from" : "to";
    return mine.some((p) => ((p.spec[rulesKey] ?? []) as Doc[]).some((rule) => {
      const peers = rule[peersKey] as Doc[] | undefined;
      const peerOk = peers === undefined || peers.length === 0 || peers.some((x) => peerMatches(x, p.metadata.namespace, peer));
      return peerOk && portMatches(rule.ports, port, server);
    }));
  };

  return {
    /** Whether client may connect to TCP port of server. */
    allows(client: Pod, server: Pod, port: number): boolean {
      return side(client, "Egress", server, port, server) && side(server, "Ingress", client, port, server);
    },
    /** The client's egress policies alone (each tier's rule must hold without the other's help). */
    egressAllows: (client: Pod, server: Pod, port: number): boolean => side(client, "Egress", server, port, server),
    ingressAllows: (client: Pod, server: Pod, port: number): boolean => side(server, "Ingress", client, port, server),
  };
}
