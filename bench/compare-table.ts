// The comparison's markdown table: one row per measure, the three servers side by side, the
// ratio of ours to ejabberd and, where issue 14 sets a goal, whether it is met. With several
// rounds every round's figure is shown and the median decides.
import type { IdleRss } from "./scenarios/memory.ts";

export interface Results {
  settings: Record<string, unknown>;
  servers: Record<string, { idleRss: IdleRss; rounds: Record<string, unknown>[] }>;
}

interface Layout {
  rates: number[];
  lossRates: number[];
  ampRate: number;
  offline: number[];
  sessions: number;
}

type Get = (round: Record<string, any>) => number | undefined;

interface Row {
  label: string;
  get: Get;
  /** Only for ours (AMP, rates the others are not driven at). */
  oursOnly?: boolean;
  /** The goal's text and its test on the medians of ours and ejabberd. */
  goal?: [string, (ours: number, ejabberd: number) => boolean];
  digits?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 }) : "n/a");

export function renderTable(r: Results, l: Layout): string {
  const names = ["xmppd", "ejabberd", "Prosody"];
  const values = (name: string, get: Get): number[] =>
    (r.servers[name]?.rounds ?? []).map((round) => { try { return get(round); } catch { return undefined; } }).filter((v): v is number => typeof v === "number");
  const scramName = (name: string) => (r.servers[name]?.rounds[0]?.loginsScram as { mechanism?: string } | undefined)?.mechanism?.replace("SCRAM-", "") ?? "";
  const rows: Row[] = [];
  for (const n of l.offline) {
    const k = `offline${n}`;
    rows.push({ label: `offline ${fmt(n)}: accepted/s (ping after the burst)`, get: (x) => x[k]?.acceptedPerSecond, goal: [">= 2x ejabberd", (o, e) => o >= 2 * e] });
    rows.push({ label: `offline ${fmt(n)}: XEP-0198 acks, s`, get: (x) => x[k]?.smAckSeconds ?? undefined, digits: 2 });
    rows.push({ label: `offline ${fmt(n)}: all stored (ours, AMP workers), s`, get: (x) => x[k]?.storedSeconds ?? undefined, oursOnly: true, digits: 2 });
    rows.push({ label: `offline ${fmt(n)}: delivery to 1,000 logins, s`, get: (x) => x[k]?.deliverySeconds, goal: ["<= ejabberd", (o, e) => o <= e], digits: 2 });
  }
  rows.push({ label: `AMP/plain CPU per message at ${fmt(l.ampRate)}/s`, get: (x) => x.amp && x.amp.amp.cpuUsPerMessage / x.amp.plain.cpuUsPerMessage, oursOnly: true, goal: ["<= 1.3", (o) => o <= 1.3], digits: 2 });
  rows.push({ label: `AMP/plain p99 at ${fmt(l.ampRate)}/s`, get: (x) => x.amp && x.amp.amp.p99ms / x.amp.plain.p99ms, oursOnly: true, goal: ["<= 2", (o) => o <= 2], digits: 2 });
  rows.push({ label: `AMP chat at ${fmt(l.ampRate)}/s: p99 plain → AMP, ms`, get: (x) => x.amp?.plain.p99ms, oursOnly: true, digits: 1 });
  rows.push({ label: `  … AMP p99, ms`, get: (x) => x.amp?.amp.p99ms, oursOnly: true, digits: 1 });
  rows.push({ label: `  … CPU µs per message plain → AMP`, get: (x) => x.amp?.plain.cpuUsPerMessage, oursOnly: true });
  rows.push({ label: `  … AMP CPU µs per message`, get: (x) => x.amp?.amp.cpuUsPerMessage, oursOnly: true });
  for (const rate of l.rates) {
    rows.push({ label: `plain p50 at ${fmt(rate)}/s, ms`, get: (x) => x[`chat${rate}`]?.p50ms, digits: 1 });
    rows.push({ label: `plain p99 at ${fmt(rate)}/s, ms`, get: (x) => x[`chat${rate}`]?.p99ms, goal: rate === 2000 || rate === 5000 ? ["<= 2x ejabberd", (o, e) => o <= 2 * e] : undefined, digits: 1 });
    rows.push({ label: `CPU µs per message at ${fmt(rate)}/s, all processes`, get: (x) => x[`chat${rate}`]?.cpuUsPerMessage, goal: rate === 5000 ? ["<= 100", (o) => o <= 100] : undefined });
    rows.push({ label: `loss at ${fmt(rate)}/s, %`, get: (x) => x[`chat${rate}`]?.lossPercent, digits: 2 });
  }
  for (const rate of l.lossRates) {
    rows.push({ label: `loss at ${fmt(rate)}/s (ours), %`, get: (x) => x[`chat${rate}`]?.lossPercent, oursOnly: true, goal: ["0", (o) => o === 0], digits: 2 });
    rows.push({ label: `p99 at ${fmt(rate)}/s (ours), ms`, get: (x) => x[`chat${rate}`]?.p99ms, oursOnly: true, digits: 1 });
  }
  rows.push({ label: `SCRAM logins/s (${names.map(scramName).join(" / ")})`, get: (x) => x.loginsScram?.perSecond, goal: [">= 2x ejabberd", (o, e) => o >= 2 * e] });
  rows.push({ label: "PLAIN logins/s", get: (x) => x.loginsPlain?.perSecond });
  rows.push({ label: `KiB RSS per idle session, all processes, ${fmt(l.sessions)} sessions`, get: (x) => x.memory?.kibPerSession, goal: ["<= 8", (o) => o <= 8], digits: 1 });
  rows.push({ label: "  … ours: V8 heap after GC + Redis keys, KiB per session", get: (x) => x.memory?.heapAndRedisKiBPerSession, oursOnly: true, digits: 1 });

  const out: string[] = [];
  out.push("| measure | xmppd | ejabberd | Prosody | xmppd/ejabberd | goal | met |");
  out.push("|---|---|---|---|---|---|---|");
  // Idle RSS per service process: not per round (read once, before any session).
  const idle = (name: string) => r.servers[name]?.idleRss;
  const idleText = (name: string) => { const i = idle(name); return i ? `${fmt(i.maxKiB / 1024, 1)}` : "n/a"; };
  const oursIdle = idle("xmppd");
  out.push(`| idle RSS per service process (largest), MB | ${idleText("xmppd")} | ${idleText("ejabberd")} | ${idleText("Prosody")} | ${oursIdle && idle("ejabberd") ? fmt(oursIdle.maxKiB / idle("ejabberd")!.maxKiB, 2) : ""} | <= 80 MB | ${oursIdle ? (oursIdle.maxKiB <= 80 * 1024 ? "yes" : "no") : ""} |`);
  for (const row of rows) {
    const cells = names.map((name) => (row.oursOnly && name !== "xmppd" ? [] : values(name, row.get)));
    if (cells.every((c) => c.length === 0)) continue;
    const text = cells.map((c, i) => (row.oursOnly && i > 0 ? "—" : c.length ? c.map((v) => fmt(v, row.digits ?? 0)).join(" / ") : "n/a"));
    const ours = cells[0]!.length ? median(cells[0]!) : NaN;
    const ej = cells[1]!.length ? median(cells[1]!) : NaN;
    const ratio = !row.oursOnly && Number.isFinite(ours) && Number.isFinite(ej) && ej !== 0 ? fmt(ours / ej, 2) : "";
    let met = "";
    if (row.goal && Number.isFinite(ours)) {
      const needsEj = row.goal[0].includes("ejabberd");
      met = needsEj && !Number.isFinite(ej) ? "n/a" : row.goal[1](ours, ej) ? "yes" : "no";
    }
    out.push(`| ${row.label} | ${text.join(" | ")} | ${ratio} | ${row.goal?.[0] ?? ""} | ${met} |`);
  }
  return out.join("\n");
}
