// The WebSocket transport (RFC 7395): one XML document per text message, <open/> and <close/>
// instead of the stream tags, and every element carrying its own namespace declarations.
import { randomBytes } from "node:crypto";
import type { TLSSocket } from "node:tls";
import type { WebSocket } from "ws";
import { escapeAttr, type StreamParserOptions } from "@xmppd/xml";
import { NS_CLIENT, NS_STREAM } from "@xmppd/stanza";
import { channelBindings, type ChannelBindingData, type ChannelBindingType } from "./channel-binding.ts";
import type { StreamInput, Transport, TransportSink } from "./transport.ts";
import { FramedInput, NS_FRAMING } from "./ws-framing.ts";

const STANZA_TAG = /^<(message|presence|iq)(?=[\s/>])([^>]*)>/;
const STREAM_PREFIXED = /^<(stream:[\w-]+)(?=[\s/>])([^>]*)>/;

export class WsTransport implements Transport {
  readonly kind = "websocket";
  readonly canStartTls = false;
  readonly closeText = `<close xmlns='${NS_FRAMING}'/>`;

  /** `tls`: the gateway's own TLS connection under a wss:// stream (the HTTPS port), for SCRAM-*-PLUS. */
  constructor(private readonly ws: WebSocket, readonly remoteIp: string, readonly isSecure: boolean, private readonly tls?: TLSSocket) {}

  /** Channel bindings exist only where TLS ends here; behind a TLS-terminating ingress there are none. */
  channelBindings(types: readonly ChannelBindingType[]): ChannelBindingData[] {
    return this.tls ? channelBindings(this.tls, types) : [];
  }

  attach(sink: TransportSink): void {
    this.ws.on("message", (data: Buffer, isBinary: boolean) => sink.data(isBinary ? data : data.toString("utf8")));
    this.ws.on("error", (err) => sink.error(err));
    this.ws.on("close", () => sink.closed());
  }

  input(options: StreamParserOptions): StreamInput {
    return new FramedInput(options);
  }

  /** RFC 7395 §3.4: the <open/> answer, with a fresh stream id. */
  header(domain: string, lang: string, to?: string): string {
    const attrs: Record<string, string> = { xmlns: NS_FRAMING, from: domain, ...(to ? { to } : {}), id: randomBytes(16).toString("base64url"), version: "1.0", "xml:lang": lang };
    return `<open${Object.entries(attrs).map(([k, v]) => ` ${k}='${escapeAttr(v)}'`).join("")}/>`;
  }

  write(text: string): void {
    if (this.isWritable()) this.ws.send(qualify(text));
  }

  buffered(): number {
    return this.ws.bufferedAmount;
  }

  isWritable(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  startTls(): void {
    throw new Error("STARTTLS is not offered over WebSocket (RFC 7395 §3.9)");
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  end(graceMs: number): void {
    this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), graceMs).unref();
  }

  destroy(): void {
    this.ws.terminate();
  }
}

/**
 * RFC 7395 §3.3.3: each message is a document of its own, so a stanza written for a TCP stream
 * (where it inherits jabber:client) gets the declaration, and so do stream-prefixed elements.
 */
export function qualify(text: string): string {
  const stanza = STANZA_TAG.exec(text);
  if (stanza && !/\sxmlns\s*=/.test(stanza[2]!)) return insertAfterName(text, stanza[1]!, `xmlns='${NS_CLIENT}'`);
  const streamEl = STREAM_PREFIXED.exec(text);
  if (streamEl && !/\sxmlns:stream\s*=/.test(streamEl[2]!)) return insertAfterName(text, streamEl[1]!, `xmlns:stream='${NS_STREAM}'`);
  return text;
}

function insertAfterName(text: string, name: string, attr: string): string {
  const at = 1 + name.length;
  return `${text.slice(0, at)} ${attr}${text.slice(at)}`;
}
