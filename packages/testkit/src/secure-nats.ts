// A NATS server of its own for one test topology (or `npm run cluster`), configured as in
// production: TLS with a throwaway CA, one nkey identity per process kind and per gateway, the
// permissions of packages/bus/src/permissions.ts, and JetStream in a temporary directory. Tests
// may crash it (kill) and start it again on the same port with the same JetStream store.
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
import { startManagedProcess } from "./managed-process.ts";

export interface SecureNats {
  /** tls://127.0.0.1:<port> */
  readonly url: string;
  readonly caFile: string;
  readonly secrets: BusSecrets;
  /** The nats-server process started last (benchmarks read its CPU time). */
  readonly pid: number;
  /** NATS_URL, the CA and the seed of one identity, as environment for a process. */
  env(who: BusIdentity): Record<string, string>;
  /** The same for a router or AMP worker (`gateway` undefined) or a gateway, given its identity first. */
  processEnv(role: "router" | "amp-worker", gateway: string | undefined): Promise<Record<string, string>>;
  /** Gives one more gateway name its identity (the server reloads its users). */
  addGateway(name: string): Promise<void>;
  /** The server's log so far. */
  log(): string;
  /** SIGKILL, as a crash would; its JetStream store stays on disk. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same store (no-op while running) and waits until it accepts connections. */
  start(): Promise<void>;
  /** kill() then start(). */
  restart(): Promise<void>;
  isRunning(): boolean;
  /** Stops it for good and removes its files; safe to call twice. */
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
  const server = await startManagedProcess({
    command: binary("nats-server"),
    args: ["-c", confFile, "-l", logFile],
    ready: () => canConnect({ role: "admin" }),
    describe: () => readLog(logFile),
  });
  async function addGateway(name: string): Promise<void> {
    const who: BusIdentity = { role: "gateway", gateway: name };
    if (secrets.users().some((u) => u.role === "gateway" && u.gateway === name)) return;
    await secrets.addGateway(name);
    await writeConfig();
    // nats-server re-reads its users on SIGHUP; the new gateway connects once it has.
    const pid = server.pid;
    if (pid !== undefined) process.kill(pid, "SIGHUP");
    await waitFor(() => canConnect(who), { timeoutMs: 10_000, intervalMs: 50, what: `NATS identity of gateway ${name}` });
  }
  let stopped = false;
  return {
    url,
    get pid() {
      return server.lastPid;
    },
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
    kill: () => server.kill(),
    async start() {
      if (stopped) throw new Error("this NATS server was stopped for good");
      await server.start();
    },
    async restart() {
      await server.kill();
      await server.start();
    },
    isRunning: () => server.isRunning(),
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-40).join("\n");
  } catch {
    return "(no log)";
  }
}
