// Login rate: `n` accounts log in, `width` at a time (TCP, stream, SASL, bind, session,
// presence). A first untimed pass over the same accounts warms the server and fills the
// client's SCRAM salted-password cache, so the timed pass measures the server's side of SASL.
import { connect, inBatches, type Target } from "../target.ts";
import type { Mechanism } from "../xmpp-conn.ts";
import { cpuSnapshot, cpuUsed } from "./cpu.ts";

export interface LoginResult {
  mechanism: Mechanism;
  perSecond: number;
  /** What the server offered on plain TCP. */
  offered: string[];
  /** CPU milliseconds per login of each kind of process, over the timed pass. */
  cpuMsPerLogin: Record<string, number>;
}

export async function logins(t: Target, mechanism: Mechanism, n: number, width = 50): Promise<LoginResult> {
  await t.addUsers(n);
  const pass = async () => {
    const conns = await inBatches(n, width, (i) => connect(t, i, mechanism));
    conns.forEach((c) => c.close());
    return conns[0]!.mechanisms;
  };
  const offered = await pass();
  await new Promise((r) => setTimeout(r, 1000));
  const cpuBefore = await cpuSnapshot(t);
  const start = performance.now();
  await pass();
  const secs = (performance.now() - start) / 1000;
  const cpu = cpuUsed(cpuBefore, await cpuSnapshot(t));
  await new Promise((r) => setTimeout(r, 1000));
  const cpuMsPerLogin = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round((v * 1e4) / n) / 10]));
  return { mechanism, perSecond: Math.round(n / secs), offered, cpuMsPerLogin };
}

/** SCRAM-SHA-256 where the server offers it, else SCRAM-SHA-1 (Prosody 0.12). */
export async function bestScram(t: Target): Promise<Mechanism> {
  const c = await connect(t, 0);
  c.close();
  return c.mechanisms.includes("SCRAM-SHA-256") ? "SCRAM-SHA-256" : "SCRAM-SHA-1";
}
