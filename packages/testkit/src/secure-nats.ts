// A NATS server of its own for one test topology (or `npm run cluster`), configured as in
// production: TLS with a throwaway CA, one nkey identity per process kind and per gateway, the
// permissions of packages/bus/src/permissions.ts, and JetStream in a temporary directory.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "nats";
import { natsConnectOptions, renderNatsServerConfig, subjects, type BusIdentity } from "@xmppd/bus";
import { writeBusSecrets, type BusSecrets } from "@xmppd/bus-credentials";
import { freePort } from "./ports.ts";
import { binary } from "./start-services.ts";
import { waitFor } from "./wait.ts";

export interface SecureNats {
  /** tls://127.0.0.1:<port> */
  readonly url: string;
  readonly caFile: string;
  readonly secrets: BusSecrets;
  /** The nats-server process (benchmarks read its CPU time). */
  readonly pid: number;
  /** NATS_URL, the CA and the seed of one identity, as environment for a process. */
  env(who: BusIdentity): Record<string, string>;
  /** The same for a router or AMP worker (`gateway` undefined) or a gateway, given its identity first. */
  processEnv(role: "router" | "amp-worker", gateway: string | undefined): Promise<Record<string, string>>;
  /** Gives one more gateway name its identity (the server reloads its users). */
  addGateway(name: string): Promise<void>;
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function startSecureNats(o: { cluster: string; gateways: readonly string[] }): Promise<SecureNats> {
  const dir = await mkdtemp(join(tmpdir(), `xmppd-nats-${o.cluster}-`));
  const secrets = await writeBusSecrets(join(dir, "secrets"), { gateways: o.gateways, hosts: ["127.0.0.1", "localhost"] });
  const port = await freePort();
  const confFile = join(dir, "nats-server.conf");
  const logFile = join(dir, "nats-server.log");
  const writeConfig = () =>
    writeFile(confFile, renderNatsServerConfig({
      subjects: subjects(o.cluster), users: secrets.users(), listen: `127.0.0.1:${port}`, jetstreamDir: join(dir, "jetstream"),
      tls: { certFile: secrets.serverCertFile, keyFile: secrets.serverKeyFile },
    }));
  await writeConfig();
  const child = spawn(binary("nats-server"), ["-c", confFile, "-l", logFile], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `tls://127.0.0.1:${port}`;
  const env = (who: BusIdentity) => ({ NATS_URL: url, XMPPD__nats__caFile: secrets.caFile, XMPPD__nats__seedFile: secrets.seedFile(who) });
  const canConnect = async (who: BusIdentity) => {
    try {
      await (await connect({ ...natsConnectOptions({ url, name: "probe", seedFile: secrets.seedFile(who), caFile: secrets.caFile }), reconnect: false })).close();
      return true;
    } catch {
      return false;
    }
  };
  try {
    await waitFor(() => isRunning(child) && canConnect({ role: "admin" }), { timeoutMs: 20_000, intervalMs: 50, what: "the test NATS server" });
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`nats-server did not start: ${readLog(logFile)}`, { cause: err });
  }
  async function addGateway(name: string): Promise<void> {
    const who: BusIdentity = { role: "gateway", gateway: name };
    if (secrets.users().some((u) => u.role === "gateway" && u.gateway === name)) return;
    await secrets.addGateway(name);
    await writeConfig();
    // nats-server re-reads its users on SIGHUP; the new gateway connects once it has.
    child.kill("SIGHUP");
    await waitFor(() => canConnect(who), { timeoutMs: 10_000, intervalMs: 50, what: `NATS identity of gateway ${name}` });
  }
  return {
    url,
    pid: child.pid!,
    caFile: secrets.caFile,
    secrets,
    env,
    async processEnv(role, gateway) {
      if (gateway === undefined) return env({ role });
      await addGateway(gateway);
      return env({ role: "gateway", gateway });
    },
    addGateway,
    log: () => readLog(logFile),
    async stop() {
      if (isRunning(child)) child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-40).join("\n");
  } catch {
    return "(no log)";
  }
}
