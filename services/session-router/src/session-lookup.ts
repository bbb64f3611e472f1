// Recipient lookups of all envelopes that arrive in the same tick go to the store as ONE lookup
// (one Redis round trip for a burst: sessions, queued count and cached block list of each
// account, and the block lists of the senders), keeping the hot path at one store call per batch.
import type { RecipientState, SessionStore } from "@xmppd/storage";

/** `blocklistOnly`: only the account's cached block list and carbons count are wanted (a sender's). */
export type SessionLookup = (bareJid: string, blocklistOnly?: boolean) => Promise<RecipientState>;

interface Waiter {
  resolve(state: RecipientState): void;
  reject(err: unknown): void;
}

export function createSessionLookup(store: Pick<SessionStore, "lookup">): SessionLookup {
  let full = new Map<string, Waiter[]>();
  let listsOnly = new Map<string, Waiter[]>();
  let scheduled = false;

  async function run(): Promise<void> {
    const [batch, lists] = [full, listsOnly];
    full = new Map();
    listsOnly = new Map();
    scheduled = false;
    const all = [...batch, ...lists];
    try {
      const found = await store.lookup([...batch.keys()], [...lists.keys()].filter((b) => !batch.has(b)));
      for (const [jid, waiters] of all) {
        for (const w of waiters) w.resolve(found.get(jid) ?? { sessions: [], queued: 0, blocked: null, carbons: 0 });
      }
    } catch (err) {
      for (const [, waiters] of all) for (const w of waiters) w.reject(err);
    }
  }

  return (bareJid, blocklistOnly = false) =>
    new Promise((resolve, reject) => {
      const pending = blocklistOnly ? listsOnly : full;
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
