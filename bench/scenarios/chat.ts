// Paced 1:1 chat: `pairs` senders and receivers (full JIDs), messages sent at `rate` per second
// by elapsed time (not timer ticks, which drift under load) for `seconds` after a warm-up. Loss
// counts over the whole run, latency (send to receipt, same process clock) after the warm-up,
// CPU over every process of the server between the start and the last receipt (or the deadline).
import { connect, inBatches, percentile, sleep, type Target } from "../target.ts";
import { cpuSnapshot, cpuUsed, total, type CpuByLabel } from "./cpu.ts";

export interface ChatOptions {
  rate: number;
  seconds: number;
  warmup: number;
  pairs: number;
  /** Appended inside every <message/> (an <amp/> element, say). */
  extra?: string;
}

export interface ChatResult {
  rate: number;
  sent: number;
  received: number;
  lost: number;
  lossPercent: number;
  /** Received per second of sending. */
  messagesPerSecond: number;
  p50ms: number;
  p99ms: number;
  /** CPU microseconds per received message, whole server. */
  cpuUsPerMessage: number;
  cpuMsPer1000ByProcess: Record<string, number>;
}

export async function chat(t: Target, o: ChatOptions): Promise<ChatResult> {
  await t.addUsers(2 * o.pairs);
  const senders = await inBatches(o.pairs, 20, (i) => connect(t, i));
  const receivers = await inBatches(o.pairs, 20, (i) => connect(t, o.pairs + i));
  const latencies: number[] = [];
  let received = 0;
  let measureFrom = Infinity;
  for (const r of receivers) {
    r.onMessageBody = (body) => {
      received++;
      const sentAt = Number(body);
      if (sentAt >= measureFrom) latencies.push(performance.now() - sentAt);
    };
  }
  await sleep(500);
  const cpuBefore = await cpuSnapshot(t);
  let sent = 0;
  const start = performance.now();
  measureFrom = start + o.warmup * 1000;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) / 1000) * o.rate);
      for (; sent < due; sent++) {
        const k = sent % o.pairs;
        senders[k]!.send(`<message to='${receivers[k]!.jid}' type='chat' id='c${sent}'><body>${performance.now()}</body>${o.extra ?? ""}</message>`);
      }
      if (performance.now() - start >= (o.seconds + o.warmup) * 1000) {
        clearInterval(timer);
        done();
      }
    }, 10);
  });
  const sendSecs = (performance.now() - start) / 1000;
  const deadline = Date.now() + 10_000;
  while (received < sent && Date.now() < deadline) await sleep(20);
  const cpu: CpuByLabel = cpuUsed(cpuBefore, await cpuSnapshot(t));
  [...senders, ...receivers].forEach((c) => c.close());
  latencies.sort((a, b) => a - b);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  await sleep(500);
  return {
    rate: o.rate, sent, received, lost: sent - received, lossPercent: r2((100 * (sent - received)) / Math.max(1, sent)),
    messagesPerSecond: Math.round(received / sendSecs), p50ms: r2(percentile(latencies, 50)), p99ms: r2(percentile(latencies, 99)),
    cpuUsPerMessage: Math.round((total(cpu) * 1e6) / Math.max(1, received)),
    cpuMsPer1000ByProcess: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round((v * 1e6) / Math.max(1, received))])),
  };
}
