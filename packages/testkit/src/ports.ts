import { readFileSync } from "node:fs";
import { createServer, connect } from "node:net";

// Ports from listen(0) come from the kernel's ephemeral range, which outgoing connections share: a
// port handed out here and bound a second later by a child process was taken by some client's
// connect() in between often enough to fail CI (EADDRINUSE). So pick below that range instead.
const FLOOR = 12_000;
const handedOut = new Set<number>();

function ephemeralStart(): number {
  try {
    const first = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > FLOOR + 1000) return first;
  } catch {
    // not Linux: use the IANA dynamic range's start
  }
  return 49_152;
}
const CEILING = ephemeralStart();

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on every interface right now, outside the ephemeral range and never handed out
 * before by this process. Another process may still race for it, but only one that also picks
 * ports at random from the same range.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FLOOR + Math.floor(Math.random() * (CEILING - FLOOR));
    if (handedOut.has(port)) continue;
    if ((await canBind(port, "0.0.0.0")) && (await canBind(port, "127.0.0.1"))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free TCP port found in ${FLOOR}-${CEILING - 1}`);
}

/** Whether something accepts TCP connections at host:port within `timeoutMs`. */
export function isReachable(port: number, host = "127.0.0.1", timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
