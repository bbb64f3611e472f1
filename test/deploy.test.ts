// docker-compose.yml, Prometheus and the Dockerfile, checked statically (no Docker engine here)
// against the repo and the config schema: entry files exist, every variable is one the loader
// accepts, ports, probes and scrape targets match the defaults, and no database or Redis
// credentials reach the DMZ tier (docs/architecture.md invariant 5). Kubernetes: deploy-k8s.test.ts.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ROOT, composeEnv, composeNetworks, composePort, configFrom, configProblems, dockerInstructions, dockerStages,
  entryFile, execForm, existsInRepo, isDockerIgnored, onPath, readText, readYamlDocs, scrapeTargets, type Doc, type Env, type Instruction,
} from "./support/deploy-checks.ts";
import { RUNTIME_FLAGS, sourceOfDist } from "../scripts/build.ts";
import { ENTRY, GATEWAY_PORTS, OPS_PORT, OURS, commandProblems, defaults, isLoopback, opsOf } from "./support/deploy-facts.ts";

const BACKENDS = ["nats", "redis", "postgres"];
/** End of life of the Node LTS lines (nodejs.org release schedule). */
const NODE_LTS_END: Record<number, string> = { 20: "2026-04-30", 22: "2027-04-30", 24: "2028-04-30" };

describe("docker-compose.yml", () => {
  const compose = readYamlDocs("docker-compose.yml")[0] as Doc;
  const services = compose.services as Record<string, Doc>;
  const envOf = (name: string): Env => composeEnv(services[name]);
  const networksOf = (name: string): string[] => composeNetworks(services[name]);
  /** Our services by what they run: replicas declared twice (the two gateways) share an entry file. */
  const tierOf = (name: string): string | undefined => OURS.find((tier) => entryFile(services[name]?.command ?? []) === ENTRY[tier]);
  const ourServices = Object.keys(services).filter((name) => tierOf(name) !== undefined);
  /** The ops listener a service's environment configures (/metrics, /healthz, /readyz). */
  const opsAt = (name: string) => opsOf(tierOf(name) as string, configFrom(envOf(name)));
  const gateways = ourServices.filter((name) => tierOf(name) === "connection-gateway");

  const hasCompose = onPath("docker-compose");
  const composeTitle = hasCompose ? "docker-compose config accepts it" : "docker-compose config accepts it (skipped: no docker-compose on PATH)";
  it.skipIf(!hasCompose)(composeTitle, () => {
    const result = spawnSync("docker-compose", ["-f", "docker-compose.yml", "config"], { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
    expect(result.status, result.stderr).toBe(0);
  });

  it("runs each of our services, the gateway at least twice", () => {
    expect(new Set(ourServices.map(tierOf))).toEqual(new Set(OURS));
    expect(gateways.length).toBeGreaterThanOrEqual(2);
  });

  it.each(OURS)("%s runs an entry file that exists", (name) => {
    expect(commandProblems(services[name]?.command)).toEqual([]);
  });

  it.each(OURS)("%s sets only variables the config loader accepts", (name) => {
    expect(Object.keys(envOf(name)).length).toBeGreaterThan(0);
    expect(configProblems(envOf(name))).toEqual([]);
  });

  it("every gateway gets NATS only: no Redis or database URL", () => {
    for (const name of gateways) {
      const config = configFrom(envOf(name));
      expect(config.nats.url, name).toBeTruthy();
      expect({ redis: config.redis.url, database: config.database.url, amp: config.amp.databaseUrl }, name).toEqual({});
    }
  });

  it("gateways are only on dmz; redis and postgres only on the internal private network", () => {
    for (const name of gateways) expect(networksOf(name), name).toEqual(["dmz"]);
    expect(networksOf("redis")).toEqual(["private"]);
    expect(networksOf("postgres")).toEqual(["private"]);
    expect(compose.networks?.private?.internal).toBe(true);
  });

  it("gateways publish c2s, direct TLS and HTTP at the configured ports, each on its own host ports", () => {
    const published: string[] = [];
    for (const name of gateways) {
      const ports = (services[name]?.ports ?? []).map(composePort);
      expect(ports.map((p: { target: number }) => p.target).sort(), name).toEqual([...GATEWAY_PORTS].sort());
      published.push(...ports.map((p: { published: string }) => p.published));
    }
    expect(new Set(published).size, "host ports collide").toBe(published.length);
  });

  it("publishes no ops port: not a service's own, nor any other ops port, nor through expose", () => {
    const opsPorts = new Set([...Object.values(OPS_PORT), ...ourServices.map((name) => opsAt(name).port)]);
    for (const name of Object.keys(services)) {
      const targets = (services[name]?.ports ?? []).map((p: unknown) => composePort(p).target);
      expect(targets.filter((port: number) => opsPorts.has(port)), name).toEqual([]);
    }
    for (const name of ourServices) expect(services[name]?.expose, name).toBeUndefined();
  });

  it("every service's ops listener leaves loopback, set explicitly, for Prometheus in its own container", () => {
    for (const name of ourServices) {
      const ops = opsAt(name);
      // The default is loopback, so this also proves the environment sets it.
      expect(isLoopback(ops.host), `${name} ops.host ${ops.host}`).toBe(false);
    }
  });

  it("routers and AMP workers scale with --scale: no published ports, no container_name", () => {
    for (const name of ourServices.filter((n) => !gateways.includes(n))) {
      expect(services[name]?.ports, name).toBeUndefined();
      expect(services[name]?.container_name, name).toBeUndefined();
    }
  });

  it("backends and our services have healthchecks, and dependants wait for them", () => {
    for (const name of [...BACKENDS, ...ourServices, "prometheus", "grafana"]) {
      const test = services[name]?.healthcheck?.test;
      expect(Array.isArray(test) && test[0] !== "NONE" && test.length > 1, `${name} healthcheck`).toBe(true);
    }
    for (const name of Object.keys(services)) {
      for (const [dep, spec] of Object.entries(services[name]?.depends_on ?? {})) {
        expect(services[dep], `${name} -> ${dep}`).toBeDefined();
        if (services[dep]?.healthcheck) expect((spec as Doc).condition, `${name} -> ${dep}`).toBe("service_healthy");
      }
    }
    for (const name of gateways) expect(Object.keys(services[name]?.depends_on ?? {}).sort(), name).toEqual(["nats", "session-router"]);
    expect(Object.keys(services.grafana?.depends_on ?? {})).toEqual(["prometheus"]);
  });

  it("our healthchecks ask /readyz on the service's own ops port", () => {
    for (const name of ourServices) {
      const text = (services[name]?.healthcheck?.test as string[]).join(" ");
      const url = /http:\/\/127\.0\.0\.1:(\d+)(\/\w+)/.exec(text);
      expect(url?.slice(1), name).toEqual([String(opsAt(name).port), "/readyz"]);
      // The runtime image is node slim: no curl or wget.
      expect(text, name).toMatch(/^CMD node /);
    }
  });

  it("healthcheck tools exist in their images", () => {
    // The official nats image's plain tags (2.10, latest) are FROM scratch: no shell, no wget.
    // Only its -alpine tags carry busybox; a CMD healthcheck elsewhere would never pass.
    const nats = services.nats as Doc;
    if (nats.healthcheck?.test?.[0] === "CMD") expect(String(nats.image)).toMatch(/^nats:[^:]*alpine/);
  });

  it("nats runs the generated configuration, with JetStream on a data volume", () => {
    expect(services.nats?.command).toEqual(["-c", "/etc/nats/nats-server.conf"]);
    expect(services.nats?.volumes).toContain("./deploy/nats/nats-server.conf:/etc/nats/nats-server.conf:ro");
    expect(readText("deploy/nats/nats-server.conf")).toContain('jetstream { store_dir: "/data/jetstream" }');
    expect(services.nats?.volumes).toContain("nats-data:/data");
  });

  describe("Prometheus and Grafana", () => {
    const mounts = (name: string): Record<string, string> =>
      Object.fromEntries((services[name]?.volumes ?? []).map((v: string) => v.split(":")).filter(([src]: string[]) => src?.startsWith("./")).map(([src, dst]: string[]) => [dst, src]));
    const prometheusFile = mounts("prometheus")["/etc/prometheus/prometheus.yml"] as string;
    const prometheus = readYamlDocs(prometheusFile ?? "missing")[0] as Doc;
    const targets = scrapeTargets(prometheus);

    const hasPromtool = onPath("promtool");
    it.skipIf(!hasPromtool)(`promtool check config accepts it${hasPromtool ? "" : " (skipped: no promtool on PATH)"}`, () => {
      const result = spawnSync("promtool", ["check", "config", "--syntax-only", join(ROOT, prometheusFile)], { encoding: "utf8", timeout: 20_000 });
      expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    });

    it("Prometheus reads deploy/prometheus/prometheus.yml", () => {
      expect(posix.normalize(prometheusFile)).toBe("deploy/prometheus/prometheus.yml");
      expect(services.prometheus?.command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    });

    it("scrapes every one of our services at its ops port, through DNS so replicas count", () => {
      for (const name of ourServices) {
        const found = targets.filter((t) => t.host === name);
        expect(found.map((t) => t.port), name).toEqual([opsAt(name).port]);
        expect(found.every((t) => t.dns), name).toBe(true);
      }
      for (const t of targets.filter((x) => x.host !== "127.0.0.1")) expect(ourServices, `${t.job} -> ${t.host}`).toContain(t.host);
    });

    it("one job per tier, named like the tier", () => {
      for (const t of targets.filter((x) => x.host !== "127.0.0.1")) expect(t.job).toBe(tierOf(t.host));
    });

    it("Prometheus shares a network with everything it scrapes, and Grafana with Prometheus", () => {
      for (const name of ourServices) expect(networksOf(name).some((n) => networksOf("prometheus").includes(n)), name).toBe(true);
      expect(networksOf("grafana").some((n) => networksOf("prometheus").includes(n))).toBe(true);
    });

    it("Grafana is provisioned with the Prometheus datasource and the dashboard folder", () => {
      const graf = mounts("grafana");
      expect(posix.normalize(graf["/etc/grafana/provisioning"] ?? "")).toBe("deploy/grafana/provisioning");
      const [ds] = readYamlDocs("deploy/grafana/provisioning/datasources/prometheus.yml");
      const source = (ds?.datasources ?? [])[0] as Doc;
      expect({ type: source.type, url: source.url }).toEqual({ type: "prometheus", url: "http://prometheus:9090" });
      const [provider] = readYamlDocs("deploy/grafana/provisioning/dashboards/xmppd.yml");
      const path = provider?.providers?.[0]?.options?.path as string;
      expect(posix.normalize(graf[path] ?? "")).toBe("deploy/grafana/dashboards");
      expect(existsInRepo("deploy/grafana/dashboards/xmppd.json")).toBe(true);
    });
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

  it("every stage runs on a Node LTS line that is still supported", () => {
    for (const [from] of stages) {
      const major = /^node:(\d+)/.exec(from?.args ?? "")?.[1];
      expect(major, from?.args).toBeDefined();
      const eol = NODE_LTS_END[Number(major)];
      expect(eol, `node ${major} is not an LTS line`).toBeDefined();
      expect(new Date(eol as string).getTime(), `node ${major} support ended ${eol}`).toBeGreaterThan(Date.now());
    }
  });

  it("runs as a non-root user", () => {
    expect(last("USER")).toBeDefined();
    expect(["root", "0"]).not.toContain(last("USER")?.split(":")[0]);
  });

  /** The context paths a stage copies in (COPY without --from). */
  const copiedFromContext = (stage: readonly Instruction[]) =>
    stage.filter((i) => i.op === "COPY" && !i.args.includes("--from")).flatMap((i) => i.args.split(/\s+/).slice(0, -1)).map((src) => posix.normalize(src));

  it("its CMD entry file exists and is copied into the image", () => {
    const cmd = execForm(last("CMD") ?? "null");
    expect(commandProblems(cmd)).toEqual([]);
    const entry = entryFile(cmd) ?? "";
    const source = sourceOfDist(entry);
    if (source === undefined) {
      const top = entry.split("/")[0] ?? "";
      expect(copiedFromContext(instructions)).toContain(top);
      expect(isDockerIgnored(dockerignore, top)).toBe(false);
      return;
    }
    // A bundle: the final stage copies dist/ from a stage that builds it from the sources it copies in.
    const from = final.find((i) => i.op === "COPY" && /--from=\S+/.test(i.args) && posix.normalize(i.args.split(/\s+/).at(-2) ?? "").endsWith("dist"));
    expect(from, "COPY --from=<stage> .../dist").toBeDefined();
    const stageName = /--from=(\S+)/.exec(from?.args ?? "")?.[1];
    const builder = stages.find(([f]) => new RegExp(`\\sAS\\s+${stageName}$`, "i").test(f?.args ?? "")) ?? [];
    expect(builder.some((i) => i.op === "RUN" && /\bnpm run build\b/.test(i.args)), `stage ${stageName} runs npm run build`).toBe(true);
    for (const top of [source.split("/")[0] ?? "", "packages", "scripts"]) {
      expect(copiedFromContext(builder), `stage ${stageName} copies ${top}`).toContain(top);
      expect(isDockerIgnored(dockerignore, top), top).toBe(false);
    }
  });

  it("runs every command with the bundles' node flags (scripts/build.ts RUNTIME_FLAGS)", () => {
    const options = final.filter((i) => i.op === "ENV" && /^NODE_OPTIONS=/.test(i.args)).at(-1)?.args.replace(/^NODE_OPTIONS=/, "").replace(/^"|"$/g, "") ?? "";
    expect(options.split(/\s+/).filter(Boolean)).toEqual([...RUNTIME_FLAGS]);
  });

  it("EXPOSE lists exactly the public ports: no ops port, which `docker run -P` would publish", () => {
    const exposed = final.filter((i) => i.op === "EXPOSE").flatMap((i) => i.args.split(/\s+/).map((p) => Number(p.split("/")[0])));
    expect([...exposed].sort()).toEqual([...GATEWAY_PORTS].sort());
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
    // A local build may be stale: the image builds its own.
    expect(isDockerIgnored(dockerignore, "dist/gateway.js")).toBe(true);
    // The local data directory holds a generated TLS key and PGlite data: never baked into an image.
    for (const path of [`${posix.normalize(defaults.dataDir)}/tls/key.pem`, ".git/config"]) expect(isDockerIgnored(dockerignore, path), path).toBe(true);
  });
});
