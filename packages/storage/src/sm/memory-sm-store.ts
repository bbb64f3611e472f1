// The SmStore in process, for the single-process mode; the same semantics as the Redis adapter
// (both pass runSmStoreContract). One difference: a process that dies takes these sessions with
// it, so detachGateway has no session-store keys to keep (standalone gateways die with it).
import { checkRestore, ONCE_KEYS, unwrapH, type SmQueued, type SmStore } from "./types.ts";

interface State {
  jid: string;
  gateway: string;
  conn: string;
  state: "a" | "d" | "e";
  out: number;
  acked: number;
  handled: number;
  bytes: number;
  queue: string[];
  due: number | null;
  /** once key -> seq, oldest first. */
  once: Map<string, number>;
}

export function createMemorySmStore(): SmStore {
  const states = new Map<string, State>();

  function trim(s: State, n: number): void {
    for (const x of s.queue.splice(0, Math.max(0, n))) s.bytes -= Buffer.byteLength(x);
  }
  const items = (s: State): SmQueued[] => s.queue.map((xml, i) => ({ seq: s.acked + 1 + i, xml }));

  return {
    async restore(r) {
      checkRestore(r);
      if (states.has(r.id)) return false;
      const queue = r.items.map((i) => i.xml);
      const bytes = queue.reduce((n, x) => n + Buffer.byteLength(x), 0);
      states.set(r.id, { jid: r.jid, gateway: r.gateway, conn: r.conn, state: "a", out: r.acked + queue.length, acked: r.acked, handled: r.handled, bytes, queue, due: null, once: new Map() });
      return true;
    },
    async create({ id, jid, gateway, conn }) {
      states.set(id, { jid, gateway, conn, state: "a", out: 0, acked: 0, handled: 0, bytes: 0, queue: [], due: null, once: new Map() });
    },
    async append(id, xml, limits, once) {
      const s = states.get(id);
      if (!s || s.state === "e") return { ok: false, reason: "gone" };
      const to = s.state === "a" ? { to: { gateway: s.gateway, conn: s.conn } } : {};
      const earlier = once === undefined ? undefined : s.once.get(once);
      if (earlier !== undefined) return { ok: true, seq: earlier, ...to, repeated: true };
      const size = Buffer.byteLength(xml);
      if (s.queue.length >= limits.maxStanzas || s.bytes + size > limits.maxBytes) return { ok: false, reason: "full" };
      s.out += 1;
      s.queue.push(xml);
      s.bytes += size;
      if (once !== undefined) {
        s.once.set(once, s.out);
        if (s.once.size > ONCE_KEYS) s.once.delete(s.once.keys().next().value!);
      }
      return { ok: true, seq: s.out, ...to };
    },
    async ack(id, upTo) {
      const s = states.get(id);
      if (!s) return;
      const to = Math.min(upTo, s.out);
      trim(s, to - s.acked);
      s.acked = Math.max(s.acked, to);
    },
    async handled(counts) {
      for (const [id, h] of counts) {
        const s = states.get(id);
        if (s) s.handled = h;
      }
    },
    async resume(id, bare, h, to) {
      const s = states.get(id);
      if (!s || s.state === "e" || !s.jid.startsWith(`${bare}/`)) return { ok: false, reason: "unknown" };
      const upTo = unwrapH(h, s.acked);
      if (upTo > s.out) return { ok: false, reason: "too-high", handled: s.handled };
      trim(s, upTo - s.acked);
      s.acked = upTo;
      const previous = s.state === "a" ? { previous: { gateway: s.gateway, conn: s.conn } } : {};
      Object.assign(s, { state: "a", gateway: to.gateway, conn: to.conn, due: null });
      return { ok: true, jid: s.jid, handled: s.handled, acked: s.acked, items: items(s), ...previous };
    },
    async unacked(id, after) {
      const s = states.get(id);
      return !s || s.state === "e" ? [] : items(s).filter((i) => i.seq > after);
    },
    async detach(id, conn, deadline) {
      const s = states.get(id);
      if (!s || s.state !== "a" || s.conn !== conn) return false;
      Object.assign(s, { state: "d", due: deadline });
      return true;
    },
    async detachGateway(gateway, deadline) {
      const out: string[] = [];
      for (const [id, s] of states) {
        if (s.state !== "a" || s.gateway !== gateway) continue;
        Object.assign(s, { state: "d", due: deadline });
        out.push(id);
      }
      return out;
    },
    async end(id, conn, leaseUntil) {
      const s = states.get(id);
      if (!s) return null;
      if (conn !== null ? s.state !== "a" || s.conn !== conn : s.state === "a") return null;
      Object.assign(s, { state: "e", due: leaseUntil });
      return { jid: s.jid, conn: s.conn, items: items(s) };
    },
    async claimDue(now, leaseUntil, limit) {
      const due = [...states].filter(([, s]) => s.due !== null && s.due <= now).sort(([, a], [, b]) => a.due! - b.due!).slice(0, limit);
      for (const [, s] of due) s.due = leaseUntil;
      return due.map(([id]) => id);
    },
    async remove(id) {
      states.delete(id);
    },
    async close() {},
  };
}
