// TCP and direct TLS transports: the XML stream as bytes over a socket. A "tcp" transport can
// be upgraded by STARTTLS (RFC 6120 §5.4.3.3); a "tls" one is wrapped at once (XEP-0368).
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { ServerTls } from "./tls-context.ts";
import { StreamParser, STREAM_CLOSE, type StreamParserOptions } from "@xmppd/xml";
import { channelBindings, type ChannelBindingData, type ChannelBindingType } from "./channel-binding.ts";
import { streamHeader } from "./stream-text.ts";
import type { StreamInput, Transport, TransportSink } from "./transport.ts";

/** XEP-0368 §3: the ALPN protocol of a direct TLS c2s connection. */
export const ALPN_XMPP_CLIENT = "xmpp-client";

export class SocketTransport implements Transport {
  readonly remoteIp: string;
  readonly closeText = STREAM_CLOSE;
  private socket: Socket;
  private secure = false;
  private paused = false;
  private sink: TransportSink | null = null;
  private readonly onData = (chunk: Buffer) => this.sink?.data(chunk);
  private readonly onError = (err: Error) => this.sink?.error(err);

  /** For kind "tls", `tls` gives the certificate the handshake presents. */
  constructor(private readonly raw: Socket, readonly kind: "tcp" | "tls", tls?: ServerTls) {
    this.remoteIp = raw.remoteAddress ?? "unknown";
    this.socket = raw;
    raw.on("error", this.onError);
    raw.on("close", () => this.sink?.closed());
    if (kind === "tls") this.wrap(tls!, [ALPN_XMPP_CLIENT]);
  }

  get isSecure(): boolean {
    return this.secure;
  }

  get canStartTls(): boolean {
    return !this.secure;
  }

  attach(sink: TransportSink): void {
    this.sink = sink;
    this.socket.on("data", this.onData);
  }

  input(options: StreamParserOptions): StreamInput {
    return new StreamParser(options);
  }

  header(domain: string, lang: string, to?: string): string {
    return streamHeader(domain, lang, to);
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text);
  }

  buffered(): number {
    return this.socket.writableLength;
  }

  isWritable(): boolean {
    return !this.socket.destroyed;
  }

  channelBindings(types: readonly ChannelBindingType[]): ChannelBindingData[] {
    return this.socket instanceof TLSSocket ? channelBindings(this.socket, types) : [];
  }

  startTls(tls: ServerTls): void {
    this.socket.off("data", this.onData);
    this.wrap(tls);
    this.socket.on("data", this.onData);
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket.resume();
  }

  end(graceMs: number): void {
    this.socket.end();
    setTimeout(() => this.raw.destroy(), graceMs).unref();
  }

  destroy(): void {
    this.socket.destroy();
    this.raw.destroy();
  }

  /** TLS 1.2+ without renegotiation or compression comes with the context (tls-context.ts). */
  private wrap(server: ServerTls, alpn?: string[]): void {
    // The TLS layer reads the raw socket from now on; a pause left by the rate limiter moves to it.
    this.raw.resume();
    const tls = new TLSSocket(this.raw, { isServer: true, secureContext: server.context, SNICallback: server.SNICallback, ...(alpn ? { ALPNProtocols: alpn } : {}) });
    tls.on("error", this.onError);
    if (this.paused) tls.pause();
    this.socket = tls;
    this.secure = true;
  }
}
