// The two small tools the k8s tests stand on: the kustomize subset and the NetworkPolicy
// evaluator, checked on hand-made inputs so that a green k8s test means what it says.
import { describe, expect, it } from "vitest";
import { merge, splitImage } from "./support/deploy-kustomize.ts";
import { OUTSIDE, createNetwork, selects, type Pod } from "./support/deploy-netpol.ts";

describe("strategic merge", () => {
  it("merges containers by name and env by name, replaces other lists, deletes on null", () => {
    const base = {
      spec: {
        replicas: 2,
        containers: [{ name: "a", image: "x", env: [{ name: "A", value: "1" }], args: ["--one"] }, { name: "b", image: "y" }],
        tolerations: [{ key: "k" }],
      },
    };
    const patch = { spec: { replicas: null, containers: [{ name: "b", image: "z" }, { name: "c", image: "w" }, { name: "a", env: [{ name: "B", value: "2" }], args: ["--two"] }] } };
    expect(merge(base, patch)).toEqual({
      spec: {
        containers: [
          { name: "a", image: "x", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }], args: ["--two"] },
          { name: "b", image: "z" },
          { name: "c", image: "w" },
        ],
        tolerations: [{ key: "k" }],
      },
    });
  });

  it("deletes a keyed list item marked $patch: delete", () => {
    const base = { ports: [{ port: 1 }, { port: 2 }] };
    expect(merge(base, { ports: [{ port: 2, $patch: "delete" }] })).toEqual({ ports: [{ port: 1 }] });
  });

  it("finds the tag after the last colon past the last slash", () => {
    expect(splitImage("registry:5000/xmppd:1.2")).toEqual(["registry:5000/xmppd", "1.2"]);
    expect(splitImage("registry:5000/xmppd")).toEqual(["registry:5000/xmppd", undefined]);
  });
});

describe("NetworkPolicy evaluation", () => {
  const ns = (name: string) => ({ kind: "Namespace", metadata: { name } });
  const web: Pod = { name: "web", namespace: "a", labels: { app: "web" }, ports: [{ name: "http", containerPort: 80 }] };
  const db: Pod = { name: "db", namespace: "a", labels: { app: "db" }, ports: [{ containerPort: 5432 }] };
  const other: Pod = { name: "other", namespace: "b", labels: { app: "web" } };
  const policy = (name: string, spec: object) => ({ kind: "NetworkPolicy", metadata: { name, namespace: "a" }, spec });

  it("is open without policies, and closed by a deny-all except what a rule opens", () => {
    expect(createNetwork([ns("a")]).allows(OUTSIDE, db, 5432)).toBe(true);
    const net = createNetwork([ns("a"), ns("b"),
      policy("deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
      policy("web", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ ports: [{ port: "http" }] }], egress: [{ to: [{ podSelector: { matchLabels: { app: "db" } } }] }] }),
      policy("db", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ port: 5432 }] }] }),
    ]);
    expect(net.allows(OUTSIDE, web, 80)).toBe(true);
    expect(net.allows(OUTSIDE, web, 81)).toBe(false);
    expect(net.allows(web, db, 5432)).toBe(true);
    // A pod of another namespace with the same labels is not matched by a bare podSelector.
    expect(net.allows(other, db, 5432)).toBe(false);
    expect(net.allows(db, web, 80)).toBe(false);
    expect(net.allows(OUTSIDE, db, 5432)).toBe(false);
  });

  it("matches label expressions", () => {
    const sel = { matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }, { key: "tier", operator: "DoesNotExist" }] };
    expect(selects(sel, { app: "api" })).toBe(true);
    expect(selects(sel, { app: "api", tier: "x" })).toBe(false);
    expect(selects(sel, { app: "db" })).toBe(false);
  });
});
