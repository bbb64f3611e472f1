// The cluster-wide authentication throttle (docs/authentication.md) on the real topology: two
// gateways, two routers, one Redis. Clients connect from different loopback addresses
// (127.0.0.2, 127.0.0.3), which the gateways report to the routers as the clients' addresses.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTopology, type Topology } from "./support/topology.ts";

let topo: Topology;
let ports: number[];

const HEADER = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const plain = (user: string, pw: string) =>
  `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${pw}`).toString("base64")}</auth>`;

beforeAll(async () => {
  topo = await startTopology({
    gateways: 2,
    routers: 2,
    ampWorkers: 1,
    env: {
      XMPPD__auth__ban__maxFailures: "4",
      XMPPD__auth__throttle__accountMaxFailures: "6",
      // No delays: the test is about counting, not waiting.
      XMPPD__auth__throttle__baseDelayMs: "0",
    },
  });
  ports = topo.of("gateway").map((g) => g.c2sPort);
  await topo.addUser("alice", "alice-pw");
  await topo.addUser("bob", "bob-pw");
}, 90_000);

afterAll(async () => {
  await topo?.stop();
}, 30_000);

/** One authentication attempt on a new stream from `from` through the gateway on `port`; what it got. */
async function attempt(from: string, port: number, password: string, user = "alice"): Promise<string> {
  const socket = net.connect({ port, host: "127.0.0.1", localAddress: from });
  let data = "";
  socket.on("data", (d) => (data += d.toString("utf8")));
  socket.on("error", () => {});
  const closed = new Promise<void>((res) => socket.once("close", () => res()));
  const until = async (pattern: RegExp) => {
    const deadline = Date.now() + 10_000;
    while (!pattern.test(data)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; received: ${data}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    socket.write(HEADER);
    await until(/<\/stream:features>/);
    socket.write(plain(user, password));
    await until(/<success|<failure|<stream:error/);
    const outcome = /<success/.test(data) ? "success" : /<stream:error/.test(data) ? data.slice(data.indexOf("<stream:error")) : data.slice(data.indexOf("<failure"));
    socket.end();
    await closed;
    return outcome;
  } finally {
    socket.destroy();
  }
}

describe("cluster-wide authentication throttle", () => {
  it("counts an address's failures over both gateways together, bans it, and lets the right password in from another address", async () => {
    // 127.0.0.2 guesses twice through each gateway.
    const failures = [];
    for (const port of [ports[0]!, ports[1]!, ports[0]!, ports[1]!]) failures.push(await attempt("127.0.0.2", port, "guess"));
    for (const f of failures) expect(f).toMatch(/<failure xmlns=['"]urn:ietf:params:xml:ns:xmpp-sasl['"]><not-authorized\/><\/failure>/);
    // Four failures in all: banned on either gateway, even with the right password.
    for (const port of ports) {
      const banned = await attempt("127.0.0.2", port, "alice-pw");
      expect(banned).toMatch(/<stream:error[^>]*><policy-violation xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]\/><text [^>]*>too many failed authentications from this address; try again in \d+ s<\/text><\/stream:error>/);
    }
    // No lockout of the account: the owner from another address gets in at once.
    expect(await attempt("127.0.0.3", ports[1]!, "alice-pw")).toBe("success");
    expect(await attempt("127.0.0.3", ports[0]!, "alice-pw")).toBe("success");
  }, 60_000);

  it("caps an account's failures from many addresses, except for an address that logged in to it before", async () => {
    expect(await attempt("127.0.0.3", ports[0]!, "bob-pw", "bob")).toBe("success");
    // Six addresses, one guess each: none is banned, but together they reach the account's cap.
    for (let i = 4; i < 10; i++) expect(await attempt(`127.0.0.${i}`, ports[i % 2]!, "guess", "bob")).toMatch(/<not-authorized\/>/);
    // A new address is refused without its password being checked, even the right one ...
    expect(await attempt("127.0.0.10", ports[0]!, "bob-pw", "bob")).toMatch(/<failure xmlns=['"]urn:ietf:params:xml:ns:xmpp-sasl['"]><temporary-auth-failure\/><\/failure>/);
    // ... while bob's known address still gets in, through either gateway.
    expect(await attempt("127.0.0.3", ports[1]!, "bob-pw", "bob")).toBe("success");
    expect(await attempt("127.0.0.3", ports[0]!, "bob-pw", "bob")).toBe("success");
  }, 60_000);
});
