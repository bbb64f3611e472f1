// Recipient lookups of all envelopes that arrive in the same tick go to the store as ONE lookup
// (one Redis round trip for a burst: sessions and queued count of each account), keeping the hot
// path at one store call per batch.
import type { RecipientState, SessionStore } from "@xmppd/storage";

export type SessionLookup = (bareJid: string) => Promise<RecipientState>;

interface Waiter {
  resolve(state: RecipientState): void;
  reject(err: unknown): void;
}

export function createSessionLookup(store: Pick<SessionStore, "lookup">): SessionLookup {
  let pending = new Map<string, Waiter[]>();
  let scheduled = false;

  async function run(): Promise<void> {
    const batch = pending;
    pending = new Map();
    scheduled = false;
    try {
      const found = await store.lookup([...batch.keys()]);
      for (const [jid, waiters] of batch) {
        for (const w of waiters) w.resolve(found.get(jid) ?? { sessions: [], queued: 0 });
      }
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
  }

  return (bareJid) =>
    new Promise((resolve, reject) => {
      const waiters = pending.get(bareJid);
      if (waiters) waiters.push({ resolve, reject });
      else pending.set(bareJid, [{ resolve, reject }]);
      if (!scheduled) {
        scheduled = true;
        // setImmediate runs after the I/O callbacks of this loop turn: everything the bus handed
        // us in one read is in the batch.
        setImmediate(() => void run());
      }
    });
}
