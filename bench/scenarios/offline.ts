// Offline burst: `messages` chat messages from `senders` connections to 1,000 offline accounts.
//  - accepted: each sender writes as fast as the server reads (socket back-pressure), then pings
//    the server (XEP-0199) and waits for the answer; "accepted" is when every sender's ping has
//    been answered, so every message before it was read and handled as far as the ping shows.
//    Where the server offers XEP-0198, each sender also requests acks after the ping (<r/>,
//    <a h=.../>) until every message is counted, and that time is reported beside it. For ours, the time until the AMP workers have
//    stored every message (xmpp_amp_offline_stored_total) is reported as well: a ping answered
//    by the gateway does not prove the message is stored.
//  - delivery: then the 1,000 recipients log in (50 at a time, SCRAM with the salted password
//    cached, as real clients do) and the clock runs until every message has been received.
import { connect, inBatches, sleep, type Target } from "../target.ts";
import { cpuSnapshot, cpuUsed, total } from "./cpu.ts";
import { bestScram } from "./logins.ts";

export interface OfflineResult {
  messages: number;
  acceptedSeconds: number;
  acceptedPerSecond: number;
  /** XEP-0198 acks (null where the server does not offer it). */
  smAckSeconds: number | null;
  /** Ours only: until every message was stored by the AMP workers. */
  storedSeconds: number | null;
  deliverySeconds: number;
  delivered: number;
  cpuUsPerMessageAccept: number;
  cpuUsPerMessageDelivery: number;
  /** The same by kind of process (µs per message), to see where each path spends it. */
  cpuUsAcceptByProcess: Record<string, number>;
  cpuUsDeliveryByProcess: Record<string, number>;
}

const SENDERS = 20;
let burstSeq = 0;
const RECIPIENTS = 1000;

export async function offlineBurst(t: Target, messages: number): Promise<OfflineResult> {
  await t.addUsers(SENDERS + RECIPIENTS);
  // Bodies carry this burst's tag and are counted once each: a message left over from an earlier
  // scenario (chat receivers are among these accounts) must not count as one of ours.
  const tag = `o${++burstSeq}-`;
  // Every recipient logs in once before the burst, untimed, so that the client has their salted
  // passwords cached; they leave again before anything is sent to them.
  const mechanism = await bestScram(t);
  (await inBatches(RECIPIENTS, 50, (i) => connect(t, SENDERS + i, mechanism))).forEach((c) => c.close());
  await sleep(2000);
  const senders = await inBatches(SENDERS, 20, (i) => connect(t, i));
  const sm = await Promise.all(senders.map((s) => (s.smOffered ? s.enableSm() : Promise.resolve(false))));
  const storedBefore = (await t.counter?.("xmpp_amp_offline_stored_total")) ?? 0;
  await sleep(300);
  const cpu0 = await cpuSnapshot(t);
  const start = performance.now();
  let lastPing = 0;
  let lastAck = 0;
  await Promise.all(senders.map(async (s, k) => {
    const mine = Array.from({ length: Math.ceil((messages - k) / SENDERS) }, (_, j) => k + j * SENDERS);
    // 50 messages per write: the client's own cost stays small next to the server's.
    for (let j = 0; j < mine.length; j += 50) {
      await s.sendPaced(mine.slice(j, j + 50).map((i) => `<message to='bench${SENDERS + (i % RECIPIENTS)}@${t.domain}' type='chat' id='o${i}'><body>${tag}${i}</body></message>`).join(""));
    }
    await s.ping(t.domain);
    lastPing = Math.max(lastPing, performance.now());
    if (sm[k]) {
      // Ours counts a stanza as handled once a router has taken it, so an <a/> may report fewer
      // than were sent: ask again until every message is counted.
      const until = Date.now() + 120_000;
      while ((await s.ackCount()) < mine.length) {
        if (Date.now() > until) throw new Error(`${t.name}: XEP-0198 never acknowledged all ${mine.length} messages`);
        await sleep(10);
      }
      lastAck = Math.max(lastAck, performance.now());
    }
  }));
  const acceptedSeconds = (lastPing - start) / 1000;
  let storedSeconds: number | null = null;
  if (t.counter) {
    const deadline = Date.now() + 300_000;
    while ((await t.counter("xmpp_amp_offline_stored_total")) - storedBefore < messages && Date.now() < deadline) await sleep(50);
    storedSeconds = (performance.now() - start) / 1000;
  }
  const cpu1 = await cpuSnapshot(t);
  senders.forEach((s) => s.close());

  const seen = new Set<string>();
  const deliveryStart = performance.now();
  const receivers = await inBatches(RECIPIENTS, 50, async (i) => {
    const c = await connect(t, SENDERS + i, mechanism);
    c.onMessageBody = (body) => void (body.startsWith(tag) && seen.add(body));
    return c;
  });
  const deadline = Date.now() + 300_000;
  while (seen.size < messages && Date.now() < deadline) await sleep(20);
  const deliverySeconds = (performance.now() - deliveryStart) / 1000;
  const cpu2 = await cpuSnapshot(t);
  receivers.forEach((c) => c.close());
  await sleep(1000);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    messages, acceptedSeconds: r2(acceptedSeconds), acceptedPerSecond: Math.round(messages / acceptedSeconds),
    smAckSeconds: lastAck ? r2((lastAck - start) / 1000) : null, storedSeconds: storedSeconds === null ? null : r2(storedSeconds),
    deliverySeconds: r2(deliverySeconds), delivered: seen.size,
    cpuUsPerMessageAccept: Math.round((total(cpuUsed(cpu0, cpu1)) * 1e6) / messages),
    cpuUsPerMessageDelivery: Math.round((total(cpuUsed(cpu1, cpu2)) * 1e6) / messages),
    cpuUsAcceptByProcess: perMessage(cpuUsed(cpu0, cpu1), messages),
    cpuUsDeliveryByProcess: perMessage(cpuUsed(cpu1, cpu2), messages),
  };
}

function perMessage(cpu: Record<string, number>, messages: number): Record<string, number> {
  return Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round((v * 1e6) / messages)]));
}
