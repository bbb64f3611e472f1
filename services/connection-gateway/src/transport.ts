// What carries one client stream: TCP (STARTTLS, RFC 6120 §5), direct TLS (XEP-0368) or a
// WebSocket (RFC 7395). The protocol phases (features, SASL relay, bind, established stream,
// inbound delivery) see only this interface and the parser it supplies, so they exist once.
import type { ServerTls } from "./tls-context.ts";
import type { StreamParserOptions, XmlLimits } from "@xmppd/xml";
import type { ChannelBindingData, ChannelBindingType } from "./channel-binding.ts";
import type { Pausable } from "./read-gate.ts";

export type TransportKind = "tcp" | "tls" | "websocket" | "bosh";

/** Turns a transport's input into stream events (header, stanzas, end, error). */
export interface StreamInput {
  write(chunk: Buffer | string): void;
  setLimits(limits: XmlLimits): void;
  /** Expect a new stream header (RFC 6120 §5.4.3.3, §6.4.6; RFC 7395 §3.7). */
  restart(): void;
}

export interface TransportSink {
  data(chunk: Buffer | string): void;
  error(err: Error): void;
  closed(): void;
}

export interface Transport extends Pausable {
  readonly kind: TransportKind;
  readonly remoteIp: string;
  /** TLS protects the stream (direct TLS, after STARTTLS, or a TLS-terminating ingress for WebSocket). */
  readonly isSecure: boolean;
  /** STARTTLS can still be offered: a plain TCP stream only. */
  readonly canStartTls: boolean;
  /** Starts delivering input and the close event to `sink`. */
  attach(sink: TransportSink): void;
  /** The parser for this transport's framing. */
  input(options: StreamParserOptions): StreamInput;
  /** Our stream header (RFC 6120 §4.7) or, framed, <open/> (RFC 7395 §3.4). */
  header(domain: string, lang: string, to?: string): string;
  /** </stream:stream> or, framed, <close/> (RFC 7395 §3.6). */
  readonly closeText: string;
  /** Writes one top-level element or stream frame. */
  write(text: string): void;
  /** Bytes written and not yet taken by the peer. */
  buffered(): number;
  isWritable(): boolean;
  /** Channel-binding data of this connection's TLS among `types` (SCRAM-*-PLUS); none without TLS. */
  channelBindings?(types: readonly ChannelBindingType[]): ChannelBindingData[];
  /** Wraps the stream in TLS (STARTTLS); only when canStartTls. */
  startTls(tls: ServerTls): void;
  /** Ends after our close: the peer gets `graceMs` to close its side, then the connection is cut. */
  end(graceMs: number): void;
  destroy(): void;
}
