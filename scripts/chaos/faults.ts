// The faults, one at a time. Each injects its fault and undoes it (a killed process or server is
// started again), and names the clients it is about (the slow consumer, the bursting sender):
// the steady load leaves those out, and their own streams may close without counting against
// the server; every other stream is "healthy" and must stay up.
import type { ChaosClient } from "./client.ts";
import { sleep } from "./client.ts";
import type { ChaosCluster, Dependency } from "./cluster.ts";
import type { Fleet } from "./fleet.ts";

export interface FaultContext {
  cluster: ChaosCluster;
  fleet: Fleet;
  /** How long the load runs in this phase (ms); slow consumers stay slow for half of it. */
  phaseMs: number;
  log(line: string): void;
}

export interface Fault {
  name: string;
  /** Whether a stream closing during this fault (other than the subjects') is a failure. */
  guardsHealthyStreams: boolean;
  subjects(fleet: Fleet): ChaosClient[];
  /** Injects the fault and undoes it; resolves once the system was given back what it lost. */
  run(ctx: FaultContext): Promise<void>;
}

const DOWN_MS = 2000;

const killProcess = (kind: "gateway" | "router" | "amp"): Fault => ({
  name: `${kind === "amp" ? "amp-worker" : kind}-kill`,
  guardsHealthyStreams: false,
  subjects: () => [],
  async run({ cluster, log }) {
    const victim = cluster.live(kind)[0];
    if (!victim) throw new Error(`no live ${kind} to kill`);
    log(`SIGKILL ${victim.name} (pid ${victim.child.pid})`);
    await cluster.set.kill(victim, "SIGKILL");
    await sleep(DOWN_MS);
    const next = await cluster.set.start(kind);
    log(`started ${next.name}`);
  },
});

const restartDependency = (dep: Dependency): Fault => ({
  name: `${dep}-restart`,
  guardsHealthyStreams: false,
  subjects: () => [],
  async run({ cluster, log }) {
    log(`SIGKILL ${dep}`);
    await cluster.kill(dep);
    await sleep(DOWN_MS);
    await cluster.start(dep);
    log(`${dep} is back${dep === "redis" ? " (empty)" : ""}`);
  },
});

const slowConsumer: Fault = {
  name: "slow-consumer",
  guardsHealthyStreams: true,
  subjects: (fleet) => [fleet.clients[0]!],
  async run({ fleet, phaseMs, log }) {
    const slow = fleet.clients[0]!;
    const senders = fleet.clients.slice(1, 101);
    // About 2.4 MB of 4 KB messages: past the per-session outbound limit (1000 stanzas or 2 MiB).
    const each = Math.ceil(600 / senders.length);
    log(`${slow.jid} stops reading; ${senders.length} clients send it ${each} messages of 4 KB each`);
    slow.pauseReading();
    for (let i = 0; i < each; i++) for (const s of senders) fleet.message(s, slow, "plain", 4096);
    await sleep(phaseMs / 2);
    slow.resumeReading();
    log(`${slow.jid} reads again`);
  },
};

const burst: Fault = {
  name: "burst",
  guardsHealthyStreams: true,
  subjects: (fleet) => [fleet.clients[1]!],
  async run({ fleet, log }) {
    const sender = fleet.clients[1]!;
    const recipients = fleet.clients.filter((c) => c !== sender).slice(0, 20);
    log(`${sender.jid} writes 2000 messages at once`);
    fleet.burst(sender, recipients, 2000);
  },
};

export const FAULTS: Record<string, Fault> = Object.fromEntries(
  [
    killProcess("gateway"), killProcess("router"), killProcess("amp"),
    restartDependency("nats"), restartDependency("redis"), restartDependency("postgres"),
    slowConsumer, burst,
  ].map((f) => [f.name, f]),
);

export const DEFAULT_FAULTS = Object.keys(FAULTS);
