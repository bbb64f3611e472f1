// A raw XML client over TCP for the gateway's tests: send text, wait for patterns, STARTTLS.
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";

export class RawClient {
  private received = "";
  private cursor = 0;
  private ended = false;
  private readonly waiters = new Set<() => void>();

  private constructor(private socket: Socket) {
    this.listen(socket);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Waits until text received after the previous match matches `re`; returns the match. */
  async waitFor(re: RegExp, timeoutMs = 3000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = re.exec(this.received.slice(this.cursor));
      if (match) {
        this.cursor += match.index + match[0].length;
        return match;
      }
      if (Date.now() >= deadline) throw new Error(`timed out waiting for ${re}; got: ${this.received.slice(this.cursor)}`);
      await this.changed(deadline - Date.now());
    }
  }

  /** Stops reading, like a client that has hung. */
  pause(): void {
    this.socket.pause();
  }

  /** Everything the server has sent so far. */
  text(): string {
    return this.received;
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() >= deadline) throw new Error("timed out waiting for the server to close");
      await this.changed(deadline - Date.now());
    }
  }

  /** Upgrades to TLS (after <proceed/>), trusting the gateway's self-signed certificate. */
  async startTls(servername = "localhost"): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners("data");
    const secure = await new Promise<Socket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, servername, rejectUnauthorized: false }, () => resolve(s));
      s.once("error", reject);
    });
    this.socket = secure;
    this.listen(secure);
  }

  close(): void {
    this.socket.destroy();
  }

  private listen(socket: Socket): void {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.received += text;
      this.notify();
    });
    socket.on("close", () => {
      this.ended = true;
      this.notify();
    });
    socket.on("error", () => undefined);
  }

  private changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export function streamHeader(to = "localhost", extra = ""): string {
  return `<?xml version='1.0'?><stream:stream to='${to}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' ${extra}>`;
}
