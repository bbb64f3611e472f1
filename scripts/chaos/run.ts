// One chaos run: the topology, the clients, then per fault a phase of steady load with the fault
// injected a third of the way in, time to recover, the load stopped, a drain, and the count.
import { sleep } from "./client.ts";
import { startChaosCluster, type ChaosCluster } from "./cluster.ts";
import { FAULTS, type Fault } from "./faults.ts";
import { Fleet } from "./fleet.ts";
import type { Ledger, PhaseCounts } from "./ledger.ts";
import { startLoad } from "./load.ts";

export interface ChaosOptions {
  faults: string[];
  clients: number;
  /** Messages per second in total. */
  rate: number;
  ampShare: number;
  /** Load per phase (ms). */
  durationMs: number;
  /** Longest wait for every accepted message to be accounted for after the load stops (ms). */
  drainMs: number;
  log(line: string): void;
}

export interface FaultResult extends PhaseCounts {
  fault: string;
  /** Fault injected -> deliveries at half the pre-fault rate again (s); null if they never were. */
  recoverySeconds: number | null;
  /** Streams of clients the fault is not about that closed during the phase. */
  healthyClosed: number;
  guardsHealthyStreams: boolean;
  drops: number;
  resumes: number;
  resumeFailures: number;
  ok: boolean;
}

export interface ChaosReport {
  startedAt: string;
  options: Omit<ChaosOptions, "log">;
  results: FaultResult[];
  ok: boolean;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  for (const f of o.faults) if (!FAULTS[f]) throw new Error(`unknown fault ${f}; known: ${Object.keys(FAULTS).join(", ")}`);
  const startedAt = new Date().toISOString();
  o.log("starting NATS, Redis, Postgres and 2 gateways, 2 routers, 2 AMP workers");
  const cluster = await startChaosCluster({ gateways: 2, routers: 2, ampWorkers: 2 });
  const results: FaultResult[] = [];
  let fleet: Fleet | undefined;
  try {
    const usernames = Array.from({ length: o.clients }, (_, i) => `chaos${i}`);
    await cluster.addUsers(usernames, "chaos");
    fleet = new Fleet(usernames, cluster.domain, cluster.gatewayPorts);
    o.log(`logging in ${o.clients} clients (XEP-0198 with resumption)`);
    await fleet.connectAll();
    for (const [i, name] of o.faults.entries()) {
      results.push(await runPhase(cluster, fleet, FAULTS[name]!, `p${i + 1}`, o));
    }
  } finally {
    await Promise.all(fleet?.clients.map((c) => c.stop()) ?? []);
    await cluster.stop();
  }
  return { startedAt, options: { ...o, log: undefined } as Omit<ChaosOptions, "log">, results, ok: results.every((r) => r.ok) };
}

async function runPhase(cluster: ChaosCluster, fleet: Fleet, fault: Fault, tag: string, o: ChaosOptions): Promise<FaultResult> {
  const log = (line: string) => o.log(`[${fault.name}] ${line}`);
  const ledger = fleet.beginPhase(tag);
  const subjects = new Set(fault.subjects(fleet));
  const before = snapshot(fleet);
  const dropsBefore = fleet.drops.length;
  const load = startLoad(fleet, { rate: o.rate, ampShare: o.ampShare, exclude: subjects });
  const phaseStart = Date.now();
  await sleep(o.durationMs / 3);
  const faultAt = Date.now();
  const baseline = rateBetween(ledger, phaseStart + 1000, faultAt);
  await fault.run({ cluster, fleet, phaseMs: o.durationMs, log });
  // At least the phase's length, and at least a few seconds after the fault was undone.
  await sleep(Math.max(phaseStart + o.durationMs - Date.now(), 5000));
  load.stop();
  log("load stopped; draining");
  await drain(fleet, ledger, o.drainMs, log);
  const counts = ledger.counts(await cluster.storedIds());
  const after = snapshot(fleet);
  const drops = fleet.drops.slice(dropsBefore);
  const healthyClosed = drops.filter((d) => !subjects.has(d.client)).length;
  const result: FaultResult = {
    fault: fault.name,
    ...counts,
    recoverySeconds: recovery(ledger, faultAt, baseline),
    healthyClosed,
    guardsHealthyStreams: fault.guardsHealthyStreams,
    drops: drops.length,
    resumes: after.resumes - before.resumes,
    resumeFailures: after.resumeFailures - before.resumeFailures,
    ok: counts.lost === 0 && (!fault.guardsHealthyStreams || healthyClosed === 0),
  };
  log(`accepted ${result.accepted}, delivered ${result.delivered}, stored ${result.stored}, bounced ${result.bounced}, lost ${result.lost}, duplicated ${result.duplicated}, reordered ${result.reordered}`);
  if (result.lost > 0) log(`lost, e.g.: ${result.lostIds.join(" ")}`);
  return result;
}

/**
 * First waits (up to drainMs) for the senders to have every message acknowledged: a burst is
 * read at the session's stanza rate, so its tail is accepted long after the load stopped. Then
 * waits for every accepted message to be delivered or bounced; halfway through that, recipients
 * still missing some log in afresh (what a user does who sees nothing arrive): the new session's
 * presence fetches what the server stored for them.
 */
async function drain(fleet: Fleet, ledger: Ledger, drainMs: number, log: (l: string) => void): Promise<void> {
  const allAcked = () => fleet.clients.every((c) => c.unacked === 0 || c.state === "stopped");
  const until = async (ok: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!ok() && Date.now() < deadline) await sleep(250);
  };
  await until(allAcked, drainMs);
  if (!allAcked()) log(`${fleet.clients.reduce((n, c) => n + c.unacked, 0)} stanzas still unacknowledged by the server`);
  const settled = () => ledger.outstanding().length === 0;
  await until(settled, drainMs / 2);
  if (!settled()) {
    const missing = new Set(ledger.outstanding().map((m) => m.to));
    const waiting = fleet.clients.filter((c) => missing.has(c.jid));
    log(`${ledger.outstanding().length} accepted messages not yet delivered; ${waiting.length} recipients log in afresh to fetch offline messages`);
    await Promise.all(waiting.map((c) => c.cycle()));
    await until(settled, drainMs / 2);
  }
}

function snapshot(fleet: Fleet) {
  let resumes = 0, resumeFailures = 0;
  for (const c of fleet.clients) (resumes += c.stats.resumes), (resumeFailures += c.stats.resumeFailures);
  return { resumes, resumeFailures };
}

function rateBetween(ledger: Ledger, from: number, to: number): number {
  if (to <= from) return 0;
  return ledger.deliveredAt.filter((t) => t >= from && t < to).length / ((to - from) / 1000);
}

/** First 1 s window after the fault with at least half the pre-fault delivery rate (any delivery if that was ~0). */
function recovery(ledger: Ledger, faultAt: number, baseline: number): number | null {
  const times = ledger.deliveredAt.filter((t) => t >= faultAt).sort((a, b) => a - b);
  const need = Math.max(1, Math.floor(baseline / 2));
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! > 1000) i++;
    if (j - i + 1 >= need) return Math.round((times[i]! - faultAt) / 100) / 10;
  }
  return null;
}
