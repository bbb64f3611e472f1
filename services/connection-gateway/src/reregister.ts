// Re-registration after the private tier's session store lost its data (docs/redis-loss.md): a
// router announces the store's new epoch (a request to every gateway, and in its beacons); this
// gateway then sends, for each bound connection, what it holds of the session through the
// connection's own ordered path, so that the router which established it writes it back.
import type { Connection } from "./connection.ts";
import type { GatewayContext } from "./context.ts";

/** Epochs remembered, so that a router that has not yet noticed the loss does not start it again. */
const EPOCHS_KEPT = 16;

export class Reregistration {
  private readonly seen: string[] = [];
  /** Connections still to re-register for the latest epoch (their XEP-0198 state had a gap). */
  private readonly waiting = new Set<string>();
  private epoch: string | null = null;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly connections: ReadonlyMap<string, Connection>,
  ) {}

  /** An epoch announced by a router; a new one means the store lost what it held. */
  announced(epoch: string): void {
    if (this.seen.includes(epoch)) return;
    this.seen.push(epoch);
    if (this.seen.length > EPOCHS_KEPT) this.seen.shift();
    // The first epoch this gateway sees is the store it registered everything in.
    const first = this.epoch === null;
    this.epoch = epoch;
    this.waiting.clear();
    if (first) return;
    let sent = 0;
    for (const conn of this.connections.values()) if (conn.jid !== null) this.send(conn) && sent++;
    this.ctx.log.warn({ epoch, sent, waiting: this.waiting.size }, "the session store lost its data: re-registering bound connections");
  }

  /** Every heartbeat: connections whose XEP-0198 state had a gap are tried again. */
  retry(): void {
    for (const id of [...this.waiting]) {
      const conn = this.connections.get(id);
      this.waiting.delete(id);
      if (conn) this.send(conn);
    }
  }

  private send(conn: Connection): boolean {
    if (conn.jid === null || conn.isClosing() || this.epoch === null) return false;
    const held = conn.sm?.held() ?? null;
    // A numbered delivery is still on its way (or being replayed): the numbers after it are not
    // settled yet. It arrives within the gap timeout, or the stream is dropped for the client to resume.
    if (held === "gap") return void this.waiting.add(conn.id), false;
    conn.relay({ t: "rereg", jid: conn.jid, epoch: this.epoch, ...(held ? { sm: held } : {}) });
    return true;
  }
}
