// Real clients for the end-to-end tests: @xmpp/client sessions and raw sockets.
import { client, xml } from "@xmpp/client";
import type { Element } from "@xmppd/xml";
import net from "node:net";

// The gateways use a generated self-signed certificate in tests.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";

export { xml };

/**
 * @xmpp/client with a realistic deadline for each stream open, STARTTLS and close: its default of
 * 2 s is shorter than a fresh cluster's first answer can take while CI's parallel files load both
 * cores (a stream open after STARTTLS timed out there); mobile clients wait far longer.
 */
export function xmppClient(opts: Record<string, unknown>): ReturnType<typeof client> {
  return client({ timeout: 15_000, ...opts });
}

export interface TestClient {
  jid: string;
  inbox: Element[];
  /** Every top-level element that is not a stanza (stream features, SASL, stream errors), in order. */
  nonzas: Element[];
  send(el: Element): Promise<void>;
  /** Resolves with the first stanza (already received or arriving) that matches. */
  next(match: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** Waits until `count` stanzas match, returns them in arrival order. */
  collect(match: (el: Element) => boolean, count: number, timeoutMs?: number): Promise<Element[]>;
  iq(el: Element): Promise<Element>;
  stop(): Promise<void>;
}

/** `service` overrides the c2s URL built from `port`, e.g. wss://127.0.0.1:<httpsPort>/xmpp-websocket. */
export async function connect(opts: { port: number; username: string; password: string; domain?: string; resource?: string; presence?: boolean; service?: string }): Promise<TestClient> {
  const xmpp = xmppClient({
    service: opts.service ?? `xmpp://127.0.0.1:${opts.port}`,
    domain: opts.domain ?? "localhost",
    username: opts.username,
    password: opts.password,
    resource: opts.resource,
  });
  xmpp.reconnect.stop();
  const inbox: Element[] = [];
  const nonzas: Element[] = [];
  xmpp.on("nonza", (el: Element) => nonzas.push(el));
  const waiters = new Set<() => void>();
  xmpp.on("stanza", (el: Element) => {
    inbox.push(el);
    for (const w of [...waiters]) w();
  });
  xmpp.on("error", () => {});
  const address = await xmpp.start();
  if (opts.presence !== false) await xmpp.send(xml("presence"));

  function collect(match: (el: Element) => boolean, count: number, timeoutMs = 10_000): Promise<Element[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = inbox.filter(match);
        if (found.length >= count) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found.slice(0, count));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${count} stanzas; have ${inbox.filter(match).length}; inbox:\n${inbox.map(String).join("\n")}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }

  return {
    jid: address.toString(),
    inbox,
    nonzas,
    send: (el) => xmpp.send(el),
    next: async (match, timeoutMs) => (await collect(match, 1, timeoutMs))[0]!,
    collect,
    iq: (el) => xmpp.iqCaller.request(el, 10_000),
    async stop() {
      await xmpp.stop().catch(() => {});
    },
  };
}

/** A raw TCP connection for protocol-level tests: write text, read what the server answers. */
export async function rawConnect(port: number): Promise<{ write(s: string): void; received(): string; until(pattern: RegExp, timeoutMs?: number): Promise<string>; closed: Promise<void>; end(): void }> {
  const socket = net.connect(port, "127.0.0.1");
  await new Promise<void>((res, rej) => socket.once("connect", res).once("error", rej));
  let data = "";
  socket.on("data", (d) => (data += d.toString("utf8")));
  socket.on("error", () => {});
  const closed = new Promise<void>((res) => socket.once("close", () => res()));
  return {
    write: (s) => socket.write(s),
    received: () => data,
    async until(pattern, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(data)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; received: ${data}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return data;
    },
    closed,
    end: () => socket.end(),
  };
}

export const isChat = (from?: string) => (el: Element) =>
  el.name === "message" && el.attrs.type !== "error" && !!el.getChildText("body") && (!from || String(el.attrs.from).startsWith(from));
