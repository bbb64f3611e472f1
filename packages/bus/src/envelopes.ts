// Payloads carried on the bus, versioned by the subject (v1). Stanzas travel as serialized XML
// strings: the receiving side parses them once with the shared XML package.

/** Gateway -> router. `seq` increases by one per envelope of a connection. */
export type ToRouter =
  /**
   * Replayed first to a router that takes the connection over. It names no JID nor XEP-0198
   * session: a router believes only what it established or finds in the session store. `ip` and
   * `transport` (tcp, tls, websocket, bosh) are the gateway's word, used for the throttle and logs.
   */
  | { t: "open"; gw: string; conn: string; seq: number; domain: string; ip: string; secure: boolean; transport?: string }
  /** A SASL step; the <auth/> carries the connection's channel bindings when -PLUS is offered on it. */
  | { t: "sasl"; gw: string; conn: string; seq: number; xml: string; cb?: ChannelBinding[] }
  /** An IQ before authentication: XEP-0077 registration or XEP-0078 legacy authentication. */
  | { t: "preauth"; gw: string; conn: string; seq: number; xml: string }
  /**
   * After authentication; `jid` is the bare JID before bind and the full JID after it, and must
   * be the identity the router established for the connection. The router checks the stanza
   * itself (one element, `from` stamped with that identity) and routes on what it parsed.
   */
  | { t: "stanza"; gw: string; conn: string; seq: number; jid: string; xml: string; smh?: number }
  /** `resumable`: an XEP-0198 session that stays for resumption (the stream was not closed cleanly). */
  | { t: "closed"; gw: string; conn: string; seq: number; jid?: string; reason: string; resumable?: true }
  | ({ t: "sm"; gw: string; conn: string; seq: number; jid: string } & SmRequest)
  /**
   * The session store lost its data (docs/redis-loss.md): the connection's session as bound,
   * `jid` its full JID. The router writes back only what it established itself for this
   * connection; `sm` is the gateway's own XEP-0198 state of it, believed as its counts are.
   */
  | { t: "rereg"; gw: string; conn: string; seq: number; jid: string; epoch: string; sm?: SmHeld };

/**
 * Gateway -> the router of a connection, outside the connection's sequence: messages delivered to
 * a stream without XEP-0198 after it had ended, so never written. Sent once the router has
 * acknowledged the connection's "closed" (it then knows who the connection was); `n` numbers them
 * per connection, which makes each one's offline work key.
 */
export interface Returned {
  t: "returned";
  gw: string;
  conn: string;
  items: { n: number; xml: string }[];
}

/**
 * What a gateway holds of a resumable session: the client's acknowledged count (unwrapped), the
 * client stanzas the private tier handled, and the stanzas written and not acknowledged, numbered
 * acked+1, acked+2, ... (with their numbers, so the router can check them).
 */
export interface SmHeld {
  id: string;
  handled: number;
  acked: number;
  items: { seq: number; xml: string }[];
}

/** Router -> every gateway: re-register bound connections for the session store's new epoch. */
export interface ReregisterRequest {
  epoch: string;
  router: string;
}

/**
 * XEP-0198 requests from a gateway (stream-management.md). `smh` on a stanza envelope is the
 * client's inbound count of that stanza (unwrapped), stored by the router before it acknowledges.
 */
export type SmRequest =
  | { op: "enable" }
  /** `jid` is the bare JID; `h` is the client's count as sent (mod 2^32). */
  | { op: "resume"; id: string; h: number }
  /** The client acknowledged every outbound stanza up to `upTo` (unwrapped sequence number). */
  | { op: "ack"; upTo: number }
  /** A delivery reached the gateway without a sequence number: number it and send it back. */
  | { op: "seq"; xml: string }
  /** Numbered deliveries after `after` did not all arrive (their publisher died): send them again. */
  | { op: "replay"; after: number };

/** XEP-0198 answers to a gateway. */
export type SmReply =
  | { op: "enabled"; id: string; max: number }
  /** `h`: client stanzas handled; `acked`: outbound stanzas the client has; redelivery follows as numbered "deliver"s. */
  | { op: "resumed"; id: string; jid: string; h: number; acked: number }
  | { op: "failed"; condition: string; h?: number }
  /** A "replay" is done: every numbered delivery the store held through `through` was sent again, before this. */
  | { op: "replayed"; through: number };

export interface ChannelBinding {
  type: "tls-exporter" | "tls-server-end-point";
  data: string; // base64
}

/** Router or AMP worker -> gateway. */
export type ToGateway =
  /**
   * `sm`: the stanza's XEP-0198 sequence number when the session has resumption enabled.
   * `once`: an idempotency key (XEP-0079 events, sent again by another worker when the first
   * sender died before recording the send): the connection writes a key at most once.
   */
  | { t: "deliver"; conn: string; xml: string; sm?: number; once?: string }
  /** A SASL reply; `user` (bare JID) is set on success so the gateway may restart the stream. */
  | { t: "sasl"; conn: string; xml: string; user?: string; failed?: boolean }
  /** The resource is bound: from now on the gateway stamps `from` with this full JID. */
  | { t: "bound"; conn: string; jid: string; xml: string; legacyAuth?: true }
  /**
   * The answer to a "preauth" IQ; `failed` marks a failed legacy authentication (counted like a
   * SASL failure). A legacy authentication that succeeds is answered with "bound" + legacyAuth.
   */
  | { t: "preauth"; conn: string; xml: string; failed?: boolean }
  /** The router has handed off every envelope of conn up to and including seq. */
  | { t: "ack"; conn: string; seq: number }
  /**
   * The router saw a gap before an envelope of conn (or an envelope of a connection it does not
   * know): it ran and acknowledged nothing past it. Send again, in order, every unacknowledged
   * envelope from seq `from`, preceded by the "open" when `from` is not above what is acknowledged.
   */
  | { t: "resend"; conn: string; from: number }
  /** `kick`: an administrator closes the session (admin kick); the gateway logs it as such. */
  | { t: "close"; conn: string; condition: string; text?: string; kick?: true }
  | ({ t: "sm"; conn: string } & SmReply);

/**
 * Acknowledgements of several connections of one gateway in one message, each as "ack" would
 * say it: [conn, seq]. Sent only to gateways whose beacon says they read it (`batchAcks`).
 */
export interface AckBatch { t: "acks"; acks: [conn: string, seq: number][] }

/**
 * `caps`: the router's XEP-0115 capabilities, which the gateways offer as a stream feature.
 * `epoch`: the session store's epoch marker as this router last read it; a gateway that sees one
 * it has not seen before re-registers its connections (docs/redis-loss.md), also when it missed
 * the ReregisterRequest.
 */
export interface RouterHeartbeat { id: string; ts: number; draining?: boolean; caps?: { node: string; ver: string }; epoch?: string }
/**
 * `batchAcks`: this gateway reads AckBatch messages. A router sends them only to gateways that
 * say so, so routers rolled out before their gateways (docs/production.md) keep sending "ack".
 */
export interface GatewayHeartbeat { id: string; ts: number; connections: number; batchAcks?: true }
export interface GatewayGone { id: string }

/** Durable work for the AMP worker. */
export type AmpWork =
  | {
      t: "message";
      /** Idempotency key: `${gw}:${conn}:${seq}` of the accepted stanza. */
      key: string;
      /** Order key assigned by the router: sortable, monotonic per connection. */
      order: string;
      /** Recipient as addressed (canonical), bare or full. */
      to: string;
      /** Sender full JID. */
      from: string;
      xml: string;
      acceptedAt: number;
      /** The stanza carries a valid XEP-0079 <amp/> (checked by the router, DP-03 a-c): evaluate its rules. */
      amp?: true;
    }
  | { t: "flush"; jid: string; gw: string; conn: string }
  /**
   * XEP-0013: a flexible offline retrieval IQ of `jid` (full JID, bound on gw/conn), checked by
   * the router; the worker answers it, and sends any messages it asks for, to that connection.
   */
  | { t: "offline"; jid: string; gw: string; conn: string; xml: string }
  /** The account (bare JID) was cancelled (XEP-0077 §3.2): its stored messages go with it. */
  | { t: "removed"; jid: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode<T>(value: T): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Decodes a payload; throws a clear error on garbage so handlers can log and drop it. */
export function decode<T extends { t?: string } | object>(data: Uint8Array): T {
  const text = decoder.decode(data);
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`undecodable bus payload (${text.slice(0, 80)})`, { cause: err });
  }
}
