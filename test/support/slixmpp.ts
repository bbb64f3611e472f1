// A slixmpp user (Debian's python3-slixmpp) steered from a test: test/peers/slixmpp_peer.py
// logs in and reports what it receives as JSON lines; the test tells it what to send.
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { waitFor } from "@xmppd/testkit";

const PEER = resolve(import.meta.dirname, "../peers/slixmpp_peer.py");

export interface SlixmppMessage {
  from: string;
  to: string;
  type: string;
  id: string;
  body: string;
}

export interface SlixmppUser {
  /** The full JID the server bound. */
  jid: string;
  /** The SASL mechanism slixmpp chose, and whether its transport is TLS. */
  mechanism: string;
  tls: boolean;
  messages: SlixmppMessage[];
  nextMessage(match: (m: SlixmppMessage) => boolean, timeoutMs?: number): Promise<SlixmppMessage>;
  send(to: string, body: string, id: string): void;
  stop(): Promise<void>;
}

export interface SlixmppOptions {
  jid: string;
  password: string;
  port: number;
  /** XEP-0368 direct TLS (the gateway's tlsPort) instead of STARTTLS. */
  directTls?: boolean;
  timeoutMs?: number;
}

export async function startSlixmpp(opts: SlixmppOptions): Promise<SlixmppUser> {
  const args = [PEER, opts.jid, opts.password, String(opts.port), ...(opts.directTls ? ["direct-tls"] : [])];
  const child = spawn("/usr/bin/python3", args, { stdio: ["pipe", "pipe", "pipe"] });
  const events: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  createInterface({ input: child.stdout! }).on("line", (line) => events.push(JSON.parse(line) as Record<string, unknown>));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const said = () => `slixmpp said: ${JSON.stringify(events)}\n${stderr.slice(-2000)}`;
  try {
    const online = await waitFor(() => events.find((e) => e.event === "online" || e.event === "error"), { timeoutMs: opts.timeoutMs ?? 30_000, what: "slixmpp online" });
    if (online.event !== "online") throw new Error(said());
    const messages: SlixmppMessage[] = [];
    const collect = () => {
      const received = events.filter((e) => e.event === "message").map(({ event: _event, ...m }) => m as unknown as SlixmppMessage);
      messages.splice(0, messages.length, ...received);
      return messages;
    };
    return {
      jid: String(online.jid),
      mechanism: String(online.mechanism),
      tls: online.tls === true,
      messages,
      async nextMessage(match, timeoutMs = 10_000) {
        return waitFor(() => collect().find(match), { timeoutMs, what: "a message at slixmpp" }).catch((err: unknown) => {
          throw new Error(`${String(err)}\n${said()}`);
        });
      },
      send(to, body, id) {
        child.stdin!.write(`${JSON.stringify({ send: { to, body, id } })}\n`);
      },
      stop: () => stop(child, exited),
    };
  } catch (err) {
    await stop(child, exited);
    throw err instanceof Error && err.message.startsWith("slixmpp said") ? err : new Error(said(), { cause: err });
  }
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin!.end(`${JSON.stringify({ quit: true })}\n`);
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
