// k8s/components/infra (NATS with JetStream, Redis, Postgres) as the overlays that include it
// build it: wired to what k8s/base expects (Service names and ports of its URLs, the generated
// NATS config and its Secret, the owner's and Redis's passwords), data on PersistentVolumeClaims,
// and the Redis ACL file its init container writes accepted by a real redis-server, whose users
// then log in with the passwords the routers and AMP workers are given.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { ROOT, onPath, readYamlDocs, resolveEnv, type Doc } from "./support/deploy-checks.ts";
import { kustomizeBuild } from "./support/deploy-kustomize.ts";

const WITH_INFRA = readdirSync(join(ROOT, "k8s/overlays")).sort().map((o) => `k8s/overlays/${o}`)
  .filter((dir) => kustomizeBuild(dir).kustomizations.includes("k8s/components/infra/kustomization.yaml"));
const NS = "xmppd-private";

it("an overlay deploys NATS, Redis and Postgres (k8s/overlays/with-infra)", () => {
  expect(WITH_INFRA).toContain("k8s/overlays/with-infra");
});

describe.each(WITH_INFRA)("%s", (dir) => {
  const { docs } = kustomizeBuild(dir);
  const find = (kind: string, name: string, ns = NS) => docs.find((d) => d.kind === kind && d.metadata.name === name && d.metadata.namespace === ns) as Doc;
  const secret = (name: string): Record<string, string> => ({ ...(find("Secret", name)?.stringData ?? {}) });
  const set = (name: string) => find("StatefulSet", name);
  const containerOf = (name: string) => set(name).spec.template.spec.containers[0] as Doc;
  /** Where a mount puts a volume, and the volume. */
  const mounts = (name: string): { name: string; mountPath: string; subPath?: string; volume?: Doc; claim?: Doc }[] => (containerOf(name).volumeMounts as Doc[]).map((m) => ({
    name: m.name as string, mountPath: m.mountPath as string, subPath: m.subPath as string | undefined, volume: (set(name).spec.template.spec.volumes ?? []).find((v: Doc) => v.name === m.name) as Doc | undefined,
    claim: (set(name).spec.volumeClaimTemplates ?? []).find((c: Doc) => c.metadata.name === m.name) as Doc | undefined,
  }));
  const under = (path: string, dirPath: string) => path === dirPath || path.startsWith(`${dirPath}/`);
  const owner = new URL(secret("xmppd-credentials").DATABASE_URL!);
  const redisAdmin = new URL(secret("xmppd-credentials").REDIS_URL!);

  it("each URL of the base points at a Service of the build that reaches its server's container port", () => {
    const urls = [
      ...["xmppd-credentials", "xmppd-router-credentials", "xmppd-amp-worker-credentials"].flatMap((s) => [secret(s).DATABASE_URL!, secret(s).REDIS_URL!]),
      find("ConfigMap", "xmppd-config").data.NATS_URL, find("ConfigMap", "xmppd-config", "xmppd-dmz").data.NATS_URL,
    ].map((u) => new URL(u));
    expect(urls).toHaveLength(8);
    for (const url of urls) {
      const [service, ns, svc] = url.hostname.split(".");
      expect([ns, svc], url.hostname).toEqual([NS, "svc"]);
      const s = find("Service", service!);
      const port = (s?.spec.ports as Doc[] | undefined)?.find((p) => p.port === Number(url.port));
      expect(port, `${url.hostname}:${url.port}`).toBeDefined();
      const pod = set(service!);
      expect(Object.entries(s.spec.selector).every(([k, v]) => pod.spec.template.metadata.labels[k] === v), service).toBe(true);
      const target = (containerOf(service!).ports as Doc[]).find((p) => p.name === port!.targetPort || p.containerPort === port!.targetPort);
      expect(target?.containerPort, service).toBe(Number(url.port));
    }
  });

  it("NATS runs the generated config, with its Secret beside it and JetStream on a PersistentVolumeClaim", () => {
    const args = containerOf("nats").args as string[];
    const configPath = args[args.indexOf("-c") + 1]!;
    const config = mounts("nats").find((m) => m.mountPath === configPath);
    expect(config?.volume?.configMap?.name).toBe("nats-server-config");
    expect(config?.subPath).toBe("nats-server.conf");
    const text = find("ConfigMap", "nats-server-config").data["nats-server.conf"] as string;
    // include and the TLS files: relative to the config's folder, or absolute.
    const files = [...text.matchAll(/include "([^"]+)"|(?:cert_file|key_file): "([^"]+)"/g)].map((m) => posix.resolve(posix.dirname(configPath), m[1] ?? m[2]!));
    expect(files.length).toBe(3);
    for (const file of files) {
      const mount = mounts("nats").find((m) => under(file, m.mountPath));
      expect(mount?.volume?.secret?.secretName, file).toBe("nats-server");
    }
    const store = /store_dir: "([^"]+)"/.exec(text)?.[1] ?? "";
    expect(mounts("nats").find((m) => under(store, m.mountPath))?.claim, `JetStream store_dir ${store}`).toBeDefined();
    const ports = Object.fromEntries((containerOf("nats").ports as Doc[]).map((p) => [p.name, p.containerPort]));
    expect(/listen: "0\.0\.0\.0:(\d+)"/.exec(text)?.[1]).toBe(String(ports.client));
    // The kubelet's probes and KEDA read the monitoring port from outside the pod.
    expect(/http: "0\.0\.0\.0:(\d+)"/.exec(text)?.[1]).toBe(String(ports.monitor));
    expect(containerOf("nats").readinessProbe.httpGet).toEqual({ path: "/healthz", port: "monitor" });
  });

  it("Postgres's owner and database are the base's DATABASE_URL, its data on a PersistentVolumeClaim", () => {
    const env = resolveEnv(docs, NS, containerOf("postgres"));
    expect(env.problems).toEqual([]);
    expect([env.env.POSTGRES_USER, env.env.POSTGRES_PASSWORD, env.env.POSTGRES_DB]).toEqual([owner.username, owner.password, owner.pathname.slice(1)]);
    expect(env.source.POSTGRES_PASSWORD).toBe("Secret");
    expect(mounts("postgres").find((m) => under(env.env.PGDATA!, m.mountPath))?.claim).toBeDefined();
  });

  it("Redis's default user has the base's password, and its ACL file is written where it reads it", () => {
    const init = set("redis").spec.template.spec.initContainers[0] as Doc;
    const env = resolveEnv(docs, NS, init);
    expect(env.problems).toEqual([]);
    expect(env.env.REDIS_PASSWORD).toBe(decodeURIComponent(redisAdmin.password));
    const args = containerOf("redis").args as string[];
    const aclFile = args[args.indexOf("--aclfile") + 1]!;
    const script = init.command.at(-1) as string;
    expect(script).toContain(`> ${aclFile}`);
    const shared = (init.volumeMounts as Doc[]).find((m) => under(aclFile, m.mountPath));
    expect(mounts("redis").find((m) => m.name === shared?.name && under(aclFile, m.mountPath))).toBeDefined();
    // The same users, from the same passwords, as the setup Job's `admin redis-acl`.
    const setup = find("Job", "xmppd-setup").spec.template.spec.containers[0].command.at(-1) as string;
    const usersOf = (s: string) => (/redis-acl (.*?)(?:$|;|&&)/s.exec(s)?.[1] ?? "").replace(/--print\s*/, "").replace(/\s+/g, " ").trim();
    expect(usersOf(script)).toBe(usersOf(setup));
  });

  it("every server container runs a pinned official image with CPU and memory requested and memory limited", () => {
    for (const name of ["nats", "redis", "postgres"]) {
      const c = containerOf(name);
      expect(c.image, name).toMatch(new RegExp(`^${name}:\\d[\\w.-]*$`));
      expect([c.resources?.requests?.cpu, c.resources?.requests?.memory, c.resources?.limits?.memory].every(Boolean), name).toBe(true);
      expect(set(name).spec.serviceName, name).toBe(name);
    }
  });

  const tools = onPath("redis-server") && onPath("sh");
  it.skipIf(!tools)("the init container's ACL file starts a real redis-server whose users log in with the services' URLs", async () => {
    const init = set("redis").spec.template.spec.initContainers[0] as Doc;
    const env = resolveEnv(docs, NS, init).env;
    const work = mkdtempSync(join(tmpdir(), "redis-acl-"));
    // The Secret volumes as files, and the script with the pod's paths moved into the temporary folder.
    const passwords = secret("xmppd-service-passwords");
    for (const [key, value] of Object.entries(passwords)) writeFileSync(join(work, key), value);
    const passwordMount = (init.volumeMounts as Doc[]).find((m) => m.name === "passwords")!.mountPath as string;
    const args = containerOf("redis").args as string[];
    const aclFile = args[args.indexOf("--aclfile") + 1]!;
    const script = (init.command.at(-1) as string).replaceAll(passwordMount, work).replace(`> ${aclFile}`, `> ${work}/users.acl`);
    const run = spawnSync("sh", ["-c", script], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);

    const port = await freePort();
    const serverArgs = args.slice(1).map((a) => (a === aclFile ? `${work}/users.acl` : a));
    const server = spawn("redis-server", [...serverArgs, "--port", String(port), "--bind", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
    stops.push(() => server.kill());
    // Ready when it says so; an ACL file it refuses makes it exit, with the reason in its output.
    let output = "";
    await new Promise<void>((resolve, reject) => {
      server.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) resolve();
      });
      server.on("exit", (code) => reject(new Error(`redis-server exited ${code}: ${output}`)));
    });
    const connect = async (url: string): Promise<string> => {
      const u = new URL(url);
      const client = new Redis({ host: "127.0.0.1", port, username: decodeURIComponent(u.username) || undefined, password: decodeURIComponent(u.password), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      let refused: Error | undefined;
      client.on("error", (err: Error) => (refused = err));
      try {
        await client.connect().catch((err: Error) => Promise.reject(refused ?? err));
        // INFO: a command every one of the users may run (the service users may not PING).
        return (await client.info("server")).includes("redis_version") ? "authenticated" : "no INFO";
      } finally {
        client.disconnect();
      }
    };
    expect(await connect(secret("xmppd-credentials").REDIS_URL!)).toBe("authenticated");
    expect(await connect(secret("xmppd-router-credentials").REDIS_URL!)).toBe("authenticated");
    expect(await connect(secret("xmppd-amp-worker-credentials").REDIS_URL!)).toBe("authenticated");
    await expect(connect("redis://xmppd-router:wrong@x")).rejects.toThrow(/WRONGPASS/);
  });
});

const stops: (() => void)[] = [];
afterAll(() => stops.forEach((stop) => stop()));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    }).on("error", reject);
  });
}
