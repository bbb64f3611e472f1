// A raw client stream over TLS for protocol-level tests of what happens before authentication:
// STARTTLS on the c2s port (RFC 6120 §5.4) or direct TLS on the TLS port (XEP-0368). The test
// writes XML text and reads the server's answers; the TLS socket is exposed so that a test can
// compute channel-binding data itself.
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { waitFor } from "@xmppd/testkit";

export type TlsWay = "starttls" | "direct";

export interface RawTlsStream {
  readonly socket: TLSSocket;
  write(text: string): void;
  /** Everything received since the last `take`. */
  text(): string;
  /** Everything received on the TLS stream. */
  all(): string;
  /** Waits until the text received since the last take matches, returns it and starts afresh. */
  take(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Opens a (new) stream and returns its features. */
  open(): Promise<string>;
  readonly closed: Promise<void>;
  end(): void;
}

export const STREAM_OPEN = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

export async function rawTls(way: TlsWay, port: number, tls: Partial<ConnectionOptions> = {}): Promise<RawTlsStream> {
  const options = { servername: "localhost", rejectUnauthorized: false, ...tls };
  let buffer = "";
  let socket: TLSSocket;
  if (way === "direct") {
    socket = await secure(tlsConnect({ host: "127.0.0.1", port, ALPNProtocols: ["xmpp-client"], ...options }));
  } else {
    const tcp: Socket = tcpConnect(port, "127.0.0.1");
    const onData = (d: Buffer) => (buffer += d.toString("utf8"));
    tcp.on("data", onData);
    tcp.write(STREAM_OPEN);
    await waitFor(() => buffer.includes("</stream:features>"), { what: "features before STARTTLS" });
    tcp.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await waitFor(() => buffer.includes("<proceed"), { what: "<proceed/>" });
    tcp.off("data", onData);
    socket = await secure(tlsConnect({ socket: tcp, ...options }));
  }
  buffer = "";
  let all = "";
  socket.on("data", (d: Buffer) => {
    buffer += d.toString("utf8");
    all += d.toString("utf8");
  });
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const stream: RawTlsStream = {
    socket,
    write: (text) => void socket.write(text),
    text: () => buffer,
    all: () => all,
    async take(pattern, timeoutMs = 10_000) {
      await waitFor(() => pattern.test(buffer), { timeoutMs, what: `${pattern} (received: ${buffer})` });
      const got = buffer;
      buffer = "";
      return got;
    },
    async open() {
      socket.write(STREAM_OPEN);
      const got = await stream.take(/<\/stream:features>/);
      return got.slice(got.indexOf("<stream:features"));
    },
    closed,
    end: () => socket.end(),
  };
  return stream;
}

function secure(socket: TLSSocket): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** The first complete top-level element named `name` in `text` (for exact assertions). */
export function element(text: string, name: string): string {
  const start = text.indexOf(`<${name}`);
  if (start < 0) throw new Error(`no <${name}> in ${text}`);
  const selfClosing = /^<[^>]*\/>/.exec(text.slice(start));
  if (selfClosing) return selfClosing[0];
  const end = text.indexOf(`</${name}>`, start);
  if (end < 0) throw new Error(`no </${name}> in ${text}`);
  return text.slice(start, end + name.length + 3);
}
