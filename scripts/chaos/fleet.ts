// The clients of a run and the bookkeeping between them and the phases' ledgers: message ids
// (chaos-<phase>-<sender>-<seq>) say which ledger a stanza belongs to, so late deliveries of an
// earlier phase are still counted where they belong.
import { escapeXml, type Element } from "@xmppd/xml";
import { ChaosClient } from "./client.ts";
import { Ledger, type MessageKind } from "./ledger.ts";

const NS_AMP = "http://jabber.org/protocol/amp";
export const PASSWORD = "chaos";

export interface Drop {
  client: ChaosClient;
  why: string;
  at: number;
}

export class Fleet {
  readonly clients: ChaosClient[] = [];
  readonly drops: Drop[] = [];
  private readonly ledgers = new Map<string, Ledger>();
  private readonly seqs = new Map<ChaosClient, number>();
  current: Ledger | undefined;

  constructor(usernames: string[], domain: string, ports: () => number[]) {
    usernames.forEach((user, i) => {
      const client: ChaosClient = new ChaosClient({
        user, password: PASSWORD, domain, ports,
        // 20 clients per loopback source address, as many real clients share a NAT.
        localAddress: `127.0.0.${2 + Math.floor(i / 20)}`,
        hooks: {
          message: (c, el) => this.onMessage(c, el),
          accepted: (_c, id) => this.ledgerOf(id)?.accepted(id),
          resent: (_c, id) => this.ledgerOf(id)?.resent(id),
          dropped: (c, why) => this.drops.push({ client: c, why, at: Date.now() }),
        },
      });
      this.clients.push(client);
    });
  }

  /** Connects every client, a few at a time (a login is a SCRAM/PLAIN round trip through NATS). */
  async connectAll(parallel = 20): Promise<void> {
    for (let i = 0; i < this.clients.length; i += parallel) {
      await Promise.all(this.clients.slice(i, i + parallel).map((c) => c.connect()));
    }
  }

  beginPhase(tag: string): Ledger {
    const ledger = new Ledger(tag);
    this.ledgers.set(tag, ledger);
    this.current = ledger;
    return ledger;
  }

  /** Sends one message from `from` to `to` and records it in the current phase's ledger. */
  message(from: ChaosClient, to: ChaosClient, kind: MessageKind, padding = 0): void {
    const item = this.build(from, to, kind, padding);
    if (item) from.send(item);
  }

  /** Many messages written at once (the burst fault). */
  burst(from: ChaosClient, recipients: ChaosClient[], count: number): void {
    const items = [];
    for (let i = 0; i < count; i++) {
      const item = this.build(from, recipients[i % recipients.length]!, "plain", 0);
      if (item) items.push(item);
    }
    from.sendMany(items);
  }

  private build(from: ChaosClient, to: ChaosClient, kind: MessageKind, padding: number) {
    const ledger = this.current;
    if (!ledger) return undefined;
    const seq = (this.seqs.get(from) ?? 0) + 1;
    this.seqs.set(from, seq);
    const id = `chaos-${ledger.tag}-${this.clients.indexOf(from)}-${seq}`;
    ledger.record({ id, from: from.jid, to: to.jid, kind, seq, sentAt: Date.now() });
    const pad = padding > 0 ? `<subject>${"x".repeat(padding)}</subject>` : "";
    // XEP-0079: one rule that fires when the message would be stored (notify, then stored) and
    // one that is never met in time (drop after an hour), so the AMP path does its whole work.
    const amp = kind === "amp"
      ? `<amp xmlns='${NS_AMP}'><rule condition='deliver' action='notify' value='stored'/><rule condition='expire-at' action='drop' value='${new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z")}'/></amp>`
      : "";
    return { id, text: `<message to='${to.jid}' id='${id}' type='chat'><body>${escapeXml(id)}</body>${pad}${amp}</message>` };
  }

  private onMessage(c: ChaosClient, el: Element): void {
    const id = (el.attrs.id as string | undefined) ?? "";
    const key = id.startsWith("chaos-") ? id : (el.getChildText("body") ?? "");
    const ledger = this.ledgerOf(key);
    if (!ledger) return;
    if (el.attrs.type === "error") return ledger.bounced(key);
    // XEP-0079 events (notify, alert) come back to the sender with the message's id: not deliveries.
    if (el.getChild("amp", NS_AMP)?.attrs.status !== undefined) return;
    ledger.delivered(key, c.jid);
  }

  private ledgerOf(id: string): Ledger | undefined {
    const tag = /^chaos-([^-]+)-/.exec(id)?.[1];
    return tag === undefined ? undefined : this.ledgers.get(tag);
  }
}
