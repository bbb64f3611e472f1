// A client nobody here wrote: slixmpp (Debian's python3-slixmpp) logs in with SCRAM over
// STARTTLS (TLS required, the default) and chats with an @xmpp/client user on another gateway.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTopology, type Topology } from "./support/topology.ts";
import { connect, isChat, xml, type TestClient } from "./support/clients.ts";

const run = promisify(execFile);
let topo: Topology;
let alice: TestClient;

beforeAll(async () => {
  topo = await startTopology({ gateways: 2, routers: 1, ampWorkers: 1, tlsRequired: true });
  await topo.addUser("alice", "alice-pw");
  await topo.addUser("sam", "sam-pw");
  alice = await connect({ port: topo.of("gateway")[0]!.c2sPort, username: "alice", password: "alice-pw", resource: "js" });
});

afterAll(async () => {
  await alice?.stop();
  await topo?.stop();
});

it("slixmpp logs in with SCRAM over STARTTLS and chats", async () => {
  // alice answers whatever sam says.
  const replied = alice.next(isChat("sam@localhost")).then(async (m) => {
    await alice.send(xml("message", { to: m.attrs.from, type: "chat", id: "pong" }, xml("body", {}, `re: ${m.getChildText("body")}`)));
    return m;
  });
  const port = topo.of("gateway")[1]!.c2sPort;
  const { stdout } = await run("/usr/bin/python3", ["test/peers/slixmpp_chat.py", "sam@localhost/py", "sam-pw", String(port), "alice@localhost/js", "hello from python"], { timeout: 40_000 });
  const result = JSON.parse(stdout.trim().split("\n").pop()!);
  expect(result.error).toBeNull();
  expect(result.mechanism).toMatch(/^SCRAM-SHA-(1|256)$/);
  expect(result.tls).toBe(true);
  expect(result.bound).toBe("sam@localhost/py");
  expect(result.reply).toBe("re: hello from python");
  expect(result.reply_from).toBe("alice@localhost/js");
  const received = await replied;
  expect(received.attrs.from).toBe("sam@localhost/py");
});
