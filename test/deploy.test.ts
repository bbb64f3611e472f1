// The deployment files, checked statically (no Docker engine or cluster here) against the repo
// and the config schema: entry files exist, every variable is one the loader accepts, ports and
// probes match the defaults, and no database or Redis credentials reach the DMZ tier
// (ARCHITECTURE.md invariant 5).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { configSchema } from "@xmppd/config";
import {
  ROOT, configFrom, configProblems, dockerInstructions, dockerStages, entryFile, execForm,
  existsInRepo, isDockerIgnored, readText, readYamlDocs, resolveEnv, type Doc, type Env,
} from "./support/deploy-checks.ts";

const defaults = configSchema.parse({});
/** Our services and the HTTP port (/healthz, /readyz, /metrics) each listens on by default. */
const HTTP_PORT: Record<string, number> = {
  "connection-gateway": defaults.gateway.httpPort,
  "session-router": defaults.router.httpPort,
  "amp-worker": defaults.amp.httpPort,
};
const OURS = Object.keys(HTTP_PORT);
const BACKENDS = ["nats", "redis", "postgres"];
const rootPackage = JSON.parse(readText("package.json")) as { dependencies?: Record<string, string> };

/** Problems with a command the image runs: its entry file, and tsx surviving `npm ci --omit=dev`. */
function commandProblems(command: unknown): string[] {
  if (!Array.isArray(command)) return [`command is not an exec-form list: ${JSON.stringify(command)}`];
  const entry = entryFile(command as string[]);
  if (entry === undefined) return [`no entry file in ${JSON.stringify(command)}`];
  const problems = existsInRepo(entry) ? [] : [`entry file ${entry} does not exist`];
  const usesTsx = command.some((arg, i) => arg === "tsx" && command[i - 1] === "--import");
  if (usesTsx && !rootPackage.dependencies?.tsx) problems.push("--import tsx but tsx is not a production dependency");
  return problems;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(join(dir, cmd)));
}

describe("docker-compose.yml", () => {
  const compose = readYamlDocs("docker-compose.yml")[0] as Doc;
  const services = compose.services as Record<string, Doc>;
  const envOf = (name: string): Env => {
    const raw = services[name]?.environment ?? {};
    // The list form is ["KEY=value"]; a key without a value (null) is unset, like an empty one.
    const pairs: [string, unknown][] = Array.isArray(raw) ? raw.map((line: string): [string, unknown] => {
      const eq = line.indexOf("=");
      return eq < 0 ? [line, ""] : [line.slice(0, eq), line.slice(eq + 1)];
    }) : Object.entries(raw);
    return Object.fromEntries(pairs.map(([k, v]) => [k, v === null || v === undefined ? "" : String(v)]));
  };
  const networksOf = (name: string): string[] => {
    const raw = services[name]?.networks ?? ["default"];
    return (Array.isArray(raw) ? raw : Object.keys(raw)).sort();
  };

  const hasCompose = onPath("docker-compose");
  const composeTitle = hasCompose ? "docker-compose config accepts it" : "docker-compose config accepts it (skipped: no docker-compose on PATH)";
  it.skipIf(!hasCompose)(composeTitle, () => {
    const result = spawnSync("docker-compose", ["-f", "docker-compose.yml", "config"], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
    expect(result.status, result.stderr).toBe(0);
  });

  it.each(OURS)("%s runs an entry file that exists", (name) => {
    expect(commandProblems(services[name]?.command)).toEqual([]);
  });

  it.each(OURS)("%s sets only variables the config loader accepts", (name) => {
    expect(Object.keys(envOf(name)).length).toBeGreaterThan(0);
    expect(configProblems(envOf(name))).toEqual([]);
  });

  it("the gateway gets NATS only: no Redis or database URL", () => {
    const config = configFrom(envOf("connection-gateway"));
    expect(config.nats.url).toBeTruthy();
    expect({ redis: config.redis.url, database: config.database.url, amp: config.amp.databaseUrl }).toEqual({});
  });

  it("the gateway is only on dmz; redis and postgres only on the internal private network", () => {
    expect(networksOf("connection-gateway")).toEqual(["dmz"]);
    expect(networksOf("redis")).toEqual(["private"]);
    expect(networksOf("postgres")).toEqual(["private"]);
    expect(compose.networks?.private?.internal).toBe(true);
  });

  it("ports are the configured defaults", () => {
    const containerPort = (p: unknown): number =>
      typeof p === "object" && p !== null ? Number((p as Doc).target) : Number(String(p).split("/")[0]?.split(":").at(-1));
    const gatewayPorts = (services["connection-gateway"]?.ports ?? []).map(containerPort);
    expect(gatewayPorts).toContain(defaults.gateway.c2sPort);
    for (const port of gatewayPorts) expect([defaults.gateway.c2sPort, defaults.gateway.httpPort]).toContain(port);
    for (const name of OURS.filter((n) => n !== "connection-gateway")) expect(services[name]?.ports).toBeUndefined();
  });

  it("nats, redis and postgres have healthchecks, and our services wait for them", () => {
    for (const name of BACKENDS) {
      const test = services[name]?.healthcheck?.test;
      expect(Array.isArray(test) && test[0] !== "NONE" && test.length > 1, `${name} healthcheck`).toBe(true);
    }
    for (const name of OURS) {
      for (const [dep, spec] of Object.entries(services[name]?.depends_on ?? {})) {
        if (BACKENDS.includes(dep)) expect((spec as Doc).condition, `${name} -> ${dep}`).toBe("service_healthy");
      }
    }
  });

  it("healthcheck tools exist in their images", () => {
    // The official nats image's plain tags (2.10, latest) are FROM scratch: no shell, no wget.
    // Only its -alpine tags carry busybox; a CMD healthcheck elsewhere would never pass.
    const nats = services.nats as Doc;
    if (nats.healthcheck?.test?.[0] === "CMD") expect(String(nats.image)).toMatch(/^nats:[^:]*alpine/);
  });
});

describe("deploy/Dockerfile", () => {
  const instructions = dockerInstructions(readText("deploy/Dockerfile"));
  const stages = dockerStages(instructions);
  const final = stages.at(-1) ?? [];
  const last = (op: string) => final.findLast((ins) => ins.op === op)?.args;
  const dockerignore = readText(".dockerignore");

  it("builds in at least two stages, a named one among them", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.some(([from]) => /\sAS\s+\S+$/i.test(from?.args ?? ""))).toBe(true);
  });

  it("runs as a non-root user", () => {
    expect(last("USER")).toBeDefined();
    expect(["root", "0"]).not.toContain(last("USER")?.split(":")[0]);
  });

  it("its CMD entry file exists and is copied into the image", () => {
    const cmd = execForm(last("CMD") ?? "null");
    expect(commandProblems(cmd)).toEqual([]);
    const top = entryFile(cmd)?.split("/")[0] ?? "";
    const copied = instructions.filter((i) => i.op === "COPY" && !i.args.includes("--from")).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(copied.map((src) => posix.normalize(src))).toContain(top);
    expect(isDockerIgnored(dockerignore, top)).toBe(false);
  });

  it("EXPOSE lists exactly the default ports", () => {
    const exposed = final.filter((i) => i.op === "EXPOSE").flatMap((i) => i.args.split(/\s+/).map((p) => Number(p.split("/")[0])));
    const expected = [defaults.gateway.c2sPort, defaults.gateway.httpPort, defaults.router.httpPort, defaults.amp.httpPort];
    expect([...exposed].sort()).toEqual([...expected].sort());
  });

  it("the default dataDir is writable by the runtime user (generated TLS certificate, PGlite)", () => {
    const user = last("USER")?.split(":")[0] ?? "";
    const dataDir = posix.resolve(last("WORKDIR") ?? "/", defaults.dataDir);
    const mentions = (args: string) => args.split(/[\s;&|]+/).some((w) => posix.resolve(last("WORKDIR") ?? "/", w) === dataDir);
    const chowned = final.some((i) => i.op === "RUN" && /\bchown\b/.test(i.args) && i.args.includes(user) && mentions(i.args));
    const copiedAsUser = final.some((i) => i.op === "COPY" && i.args.includes(`--chown=${user}`) && dataDir.startsWith(`${i.args.split(/\s+/).at(-1)}/`));
    expect(chowned || copiedAsUser, `${dataDir} owned by ${user}`).toBe(true);
  });

  it(".dockerignore excludes node_modules, and any nested ones on disk", () => {
    const nested = ["packages", "services"].flatMap((dir) =>
      readdirSync(join(ROOT, dir)).map((pkg) => `${dir}/${pkg}/node_modules`).filter(existsInRepo));
    for (const path of ["node_modules", "node_modules/tsx/package.json", ...nested]) expect(isDockerIgnored(dockerignore, path), path).toBe(true);
  });
});

describe("k8s/base", () => {
  const dir = "k8s/base";
  const files = readdirSync(join(ROOT, dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const docs = files.filter((f) => f !== "kustomization.yaml").flatMap((f) => readYamlDocs(`${dir}/${f}`)).filter((d) => d !== null);
  const deployments = docs.filter((d) => d.kind === "Deployment");
  const containerOf = (d: Doc): Doc => d.spec.template.spec.containers[0];
  const gateway = deployments.find((d) => d.metadata.name === "connection-gateway") as Doc;
  const privateTier = deployments.filter((d) => d !== gateway);

  it("kustomization.yaml lists exactly the files present", () => {
    const [kustomization] = readYamlDocs(`${dir}/kustomization.yaml`);
    expect([...(kustomization?.resources ?? [])].sort()).toEqual(files.filter((f) => f !== "kustomization.yaml"));
  });

  it("deploys each of our services once", () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([...OURS].sort());
  });

  it.each(OURS)("%s: entry file, probes on the default HTTP port", (name) => {
    const container = containerOf(deployments.find((d) => d.metadata.name === name) as Doc);
    expect(commandProblems(container.command)).toEqual([]);
    expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      const port = (container.ports ?? []).find((p: Doc) => p.name === probe.httpGet.port);
      expect(port?.containerPort, `probe port ${probe.httpGet.port}`).toBe(HTTP_PORT[name]);
    }
  });

  it("every ConfigMap holds only variables the config loader accepts", () => {
    const maps = docs.filter((d) => d.kind === "ConfigMap");
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) expect(configProblems(map.data ?? {}), map.metadata.namespace).toEqual([]);
  });

  it.each(OURS)("%s: its whole environment loads, every reference resolves", (name) => {
    const d = deployments.find((x) => x.metadata.name === name) as Doc;
    const resolved = resolveEnv(docs, d.metadata.namespace, containerOf(d));
    expect(resolved.problems).toEqual([]);
    expect(configProblems(resolved.env)).toEqual([]);
  });

  it("the gateway runs in xmppd-dmz with NATS only and no Secret but a TLS one", () => {
    expect(gateway.metadata.namespace).toBe("xmppd-dmz");
    const resolved = resolveEnv(docs, "xmppd-dmz", containerOf(gateway));
    // Invariant 5 allows the DMZ its TLS key; nothing else secret, and no secret at all by env.
    expect(resolved.secrets).toEqual([]);
    const config = configFrom(resolved.env);
    expect(config.nats.url).toBeTruthy();
    expect({ redis: config.redis.url, database: config.database.url, amp: config.amp.databaseUrl }).toEqual({});
    const volumeSecrets = (gateway.spec.template.spec.volumes ?? []).filter((v: Doc) => v.secret).map((v: Doc) => v.secret.secretName);
    const dmzSecrets = docs.filter((d) => d.kind === "Secret" && d.metadata.namespace === "xmppd-dmz");
    for (const secret of dmzSecrets) expect(secret.type, secret.metadata.name).toBe("kubernetes.io/tls");
    for (const name of volumeSecrets) expect(dmzSecrets.map((s) => s.metadata.name)).toContain(name);
  });

  it("the private tier gets DATABASE_URL from a Secret, not a ConfigMap", () => {
    expect(privateTier.length).toBe(2);
    for (const d of privateTier) {
      const resolved = resolveEnv(docs, d.metadata.namespace, containerOf(d));
      expect(resolved.source.DATABASE_URL, d.metadata.name).toBe("Secret");
      expect(resolved.env.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
    }
    const leaked = docs.filter((d) => d.kind === "ConfigMap" && Object.keys(d.data ?? {}).some((k) => /DATABASE|database/.test(k)));
    expect(leaked.map((d) => d.metadata.namespace)).toEqual([]);
  });

  it("a LoadBalancer Service exposes the gateway's c2s port", () => {
    const c2s = defaults.gateway.c2sPort;
    const container = containerOf(gateway);
    const labels = gateway.spec.template.metadata.labels as Env;
    const lbs = docs.filter((d) => d.kind === "Service" && d.spec?.type === "LoadBalancer" && d.metadata.namespace === "xmppd-dmz");
    const selects = (svc: Doc) => Object.entries(svc.spec.selector ?? {}).every(([k, v]) => labels[k] === v);
    const targetsC2s = (p: Doc) => {
      const target = (container.ports ?? []).find((cp: Doc) => cp.name === p.targetPort || cp.containerPort === p.targetPort);
      return p.port === c2s && target?.containerPort === c2s;
    };
    expect(lbs.some((svc) => selects(svc) && (svc.spec.ports ?? []).some(targetsC2s))).toBe(true);
  });

  it("runAsNonRoot has a numeric user, since the image names its USER", () => {
    for (const d of deployments) {
      const security = d.spec.template.spec.securityContext ?? {};
      if (security.runAsNonRoot) expect(security.runAsUser, d.metadata.name).toBeGreaterThan(0);
    }
  });
});
