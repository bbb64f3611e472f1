// The bus of docker-compose and Kubernetes carries the permissions the tests run with: the NATS
// configs are what scripts/bus-config.ts renders from packages/bus/src/permissions.ts (the
// function the test topologies use), nats-server accepts them, and each service is wired to its
// own identity only (docs/security.md).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeBusSecrets } from "@xmppd/bus-credentials";
import { DEPLOY_BUS, DOC, renderDoc } from "../scripts/bus-config.ts";
import { composeEnv, configFrom, entryFile, readText, readYamlDocs, type Doc } from "./support/deploy-checks.ts";
import { ENTRY, OURS } from "./support/deploy-facts.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const IDENTITY: Record<string, string> = { "session-router": "router", "amp-worker": "amp-worker" };
const [composeBus, k8sBus] = DEPLOY_BUS as [(typeof DEPLOY_BUS)[number], (typeof DEPLOY_BUS)[number]];

/** The NATS config text of a deploy file (the k8s one is a ConfigMap). */
function natsConf(path: string): string {
  if (!path.endsWith(".yaml")) return readText(path);
  return (readYamlDocs(path)[0] as Doc).data["nats-server.conf"];
}

describe("the deployments' NATS configuration", () => {
  it.each(DEPLOY_BUS.map((d) => d.path))("%s is what npm run bus-config renders from the permissions table", (path) => {
    const d = DEPLOY_BUS.find((x) => x.path === path)!;
    expect(readText(path), "run npm run bus-config").toBe(d.render());
  });

  it("docs/security.md's permissions table is the table itself", () => {
    expect(readText(DOC.path), "run npm run bus-config").toBe(renderDoc(readText(DOC.path)));
  });

  it.each(DEPLOY_BUS.map((d) => d.path))("nats-server accepts %s with the secrets npm run bus-secrets writes", async (path) => {
    const d = DEPLOY_BUS.find((x) => x.path === path)!;
    const dir = mkdtempSync(join(tmpdir(), "deploy-bus-"));
    dirs.push(dir);
    await writeBusSecrets(join(dir, "secrets"), { gateways: d.gateways, hosts: ["nats"] });
    writeFileSync(join(dir, "nats-server.conf"), natsConf(path).replaceAll("/etc/nats/secrets", join(dir, "secrets")).replace("/data/jetstream", join(dir, "js")));
    const result = spawnSync("nats-server", ["-c", join(dir, "nats-server.conf"), "-t"], { encoding: "utf8", env: { PATH: `${process.env.PATH}:/usr/sbin` } });
    expect(result.status, result.stderr + result.stdout).toBe(0);
  });
});

describe("docker-compose.yml", () => {
  const compose = readYamlDocs("docker-compose.yml")[0] as Doc;
  const services = compose.services as Record<string, Doc>;
  const tierOf = (name: string) => OURS.find((tier) => entryFile(services[name]?.command ?? []) === ENTRY[tier]);
  const ours = Object.keys(services).filter((name) => tierOf(name) !== undefined);

  it("gives every service TLS to NATS and its own identity's seed as a compose secret, never in the file", () => {
    const seeds = new Map<string, string>();
    const gatewayNames: string[] = [];
    for (const name of ours) {
      const config = configFrom(composeEnv(services[name]));
      expect(config.nats.url, name).toMatch(/^tls:\/\//);
      expect(config.nats.caFile, name).toBe("/run/secrets/nats-ca");
      const tier = tierOf(name)!;
      const identity = tier === "connection-gateway" ? `gateway-${config.gateway.name}` : IDENTITY[tier];
      if (tier === "connection-gateway") gatewayNames.push(config.gateway.name);
      const secret = `nats-seed-${identity}`;
      expect(config.nats.seedFile, name).toBe(`/run/secrets/${secret}`);
      expect((services[name]?.secrets as string[]).filter((x) => x.startsWith("nats-")), name).toEqual(["nats-ca", secret]);
      expect(compose.secrets?.[secret]?.file, name).toBe(`./deploy/secrets/nats/${identity}.nk`);
      if (tier === "connection-gateway") expect(seeds.has(secret), `${name} shares ${secret}`).toBe(false);
      seeds.set(secret, name);
    }
    expect(gatewayNames.sort()).toEqual([...composeBus.gateways].sort());
    expect(compose.secrets?.["nats-ca"]?.file).toBe("./deploy/secrets/nats/ca.pem");
    expect(readText("docker-compose.yml")).not.toMatch(/SU[A-Z2-7]{56}/);
  });

  it("runs NATS with the generated config and the server's certificate, mounted read-only", () => {
    expect(services.nats?.volumes).toEqual(expect.arrayContaining([
      "./deploy/nats/nats-server.conf:/etc/nats/nats-server.conf:ro",
      "./deploy/secrets/nats:/etc/nats/secrets:ro",
    ]));
  });
});

describe("Kubernetes", () => {
  const docs = ["k8s/base/session-router.yaml", "k8s/base/amp-worker.yaml", "k8s/base/connection-gateway.yaml"].flatMap((f) => readYamlDocs(f) as Doc[]);
  const deployment = (name: string) => docs.find((d) => d.kind === "Deployment" && d.metadata.name === name) as Doc;

  it.each(OURS)("%s mounts only its own identity's Secret and points nats.seedFile and nats.caFile at it", (name) => {
    const spec = deployment(name).spec.template.spec;
    const container = spec.containers[0];
    const env = Object.fromEntries((container.env ?? []).map((e: Doc) => [e.name, e.value]));
    const identity = name === "connection-gateway" ? `gateway-${env.XMPPD__gateway__name}` : IDENTITY[name];
    if (name === "connection-gateway") expect(k8sBus.gateways).toContain(env.XMPPD__gateway__name);
    const volume = spec.volumes.find((v: Doc) => v.secret?.secretName === `nats-${identity}`);
    expect(volume, `Secret nats-${identity}`).toBeDefined();
    const mount = container.volumeMounts.find((m: Doc) => m.name === volume.name);
    expect([env.XMPPD__nats__seedFile, env.XMPPD__nats__caFile]).toEqual([`${mount.mountPath}/seed`, `${mount.mountPath}/ca.pem`]);
    expect(spec.volumes.filter((v: Doc) => String(v.secret?.secretName ?? "").startsWith("nats-")).length).toBe(1);
  });

  it("gives routers and AMP workers their own Postgres role and Redis user, which the setup Job grants; the owner's Secret only to the Job", () => {
    const config = readYamlDocs("k8s/base/config.yaml") as Doc[];
    const secret = (name: string) => config.find((d) => d.kind === "Secret" && d.metadata.name === name)?.stringData as Record<string, string>;
    const job = readYamlDocs("k8s/base/setup-job.yaml")[0] as Doc;
    const script = (job.spec.template.spec.containers[0].command as string[]).join(" ");
    const passwords = secret(job.spec.template.spec.volumes[0].secret.secretName);
    for (const [name, role] of [["session-router", "router"], ["amp-worker", "amp"]] as const) {
      const refs = (deployment(name).spec.template.spec.containers[0].envFrom as Doc[]).flatMap((e) => (e.secretRef ? [e.secretRef.name] : []));
      expect(refs, name).not.toContain("xmppd-credentials");
      const [db, redis] = [new URL(secret(refs[0])!.DATABASE_URL!), new URL(secret(refs[0])!.REDIS_URL!)];
      expect(script, name).toContain(`--${role}-role ${db.username}`);
      expect(script, name).toContain(`--${role}-user ${redis.username}`);
      expect([db.password, redis.password], name).toEqual([passwords[`${role}-db-password`], passwords[`${role}-redis-password`]]);
    }
    expect(job.spec.template.spec.containers[0].envFrom).toContainEqual({ secretRef: { name: "xmppd-credentials" } });
  });

  it("tells every service NATS is TLS", () => {
    for (const doc of readYamlDocs("k8s/base/config.yaml") as Doc[]) {
      if (doc.kind === "ConfigMap") expect(doc.data.NATS_URL, doc.metadata.namespace).toMatch(/^tls:\/\//);
    }
  });
});

describe("docker-compose.yml: Postgres and Redis credentials", () => {
  const compose = readYamlDocs("docker-compose.yml")[0] as Doc;
  const services = compose.services as Record<string, Doc>;

  it("gives routers and AMP workers their own role's and Redis user's URLs, from files npm run store-secrets writes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "store-secrets-"));
    dirs.push(dir);
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/store-secrets.ts", "--out", dir], { cwd: join(import.meta.dirname, ".."), encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const file = (secret: string) => readFileSync(join(dir, (compose.secrets[secret].file as string).replace("./deploy/secrets/stores/", "")), "utf8").trim();
    const setup = services.setup!;
    const grant = (setup.command as string[]).join(" ");
    for (const [name, role] of [["session-router", "router"], ["amp-worker", "amp"]] as const) {
      const env = composeEnv(services[name]);
      const [db, redis] = [env.DATABASE_URL!, env.REDIS_URL!].map((v) => v.replace(/^secret:/, ""));
      expect(services[name]?.secrets, name).toEqual(expect.arrayContaining([db, redis]));
      const dbUser = new URL(file(db!)).username;
      expect(grant, name).toContain(`--${role}-role ${dbUser}`);
      expect(file(`${role}-db-password`)).toBe(decodeURIComponent(new URL(file(db!)).password));
      const redisUser = new URL(file(redis!)).username;
      expect(file("redis-users-acl").split("\n").some((l) => l.startsWith(`user ${redisUser} on #`)), redisUser).toBe(true);
      expect(dbUser, name).not.toBe("xmppd");
    }
    // The owner's URL reaches only the setup job; gateways get no store credentials at all.
    expect(Object.entries(services).filter(([, s]) => (s.secrets ?? []).includes("postgres-owner-url")).map(([n]) => n)).toEqual(["setup"]);
    expect(readText("docker-compose.yml")).not.toMatch(/postgres:\/\/[^$\s]*:[^@\s]+@/);
  });
});
