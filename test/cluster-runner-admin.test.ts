// The operator's loop against `npm run cluster`: accounts made with the admin CLI, sessions
// listed, one kicked, and the kicked client really disconnected (stream error, socket closed)
// while the other stays online.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/cluster/processes.ts";
import { connect, isChat, xml, xmppClient, type TestClient } from "./support/clients.ts";
import { startRunner, stopRunner, type RunningCluster } from "./support/cluster-runner.ts";

let runner: RunningCluster | undefined;
const clients: TestClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  if (runner) await stopRunner(runner);
});

function admin(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const options = { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 30_000 };
    execFile(process.execPath, ["--import", "tsx", join(ROOT, "services/admin/src/main.ts"), ...args], options, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** alice through @xmpp/client itself, to see the stream error and the disconnect as a client does. */
async function watchedClient(port: number) {
  const xmpp = xmppClient({ service: `xmpp://127.0.0.1:${port}`, domain: "localhost", username: "alice", password: "alice-pw", resource: "phone" });
  xmpp.reconnect.stop();
  const errors: { condition?: string; text?: string }[] = [];
  xmpp.on("error", (err) => errors.push(err as { condition?: string; text?: string }));
  // "disconnect" (the socket closed) is not in test/support/xmpp-client.d.ts's list of events.
  const events = xmpp as unknown as { on(event: string, fn: () => void): void };
  const disconnected = new Promise<void>((resolve) => events.on("disconnect", resolve));
  await xmpp.start();
  await xmpp.send(xml("presence"));
  return { xmpp, errors, disconnected };
}

describe("admin CLI against npm run cluster", () => {
  it("kick disconnects the client of exactly that session", async () => {
    runner = await startRunner(["--gateways", "2", "--routers", "1", "--amp-workers", "1"]);
    const env = runner.adminEnv;
    expect(Object.keys(env).sort()).toEqual(["DATABASE_URL", "NATS_URL", "REDIS_URL", "XMPPD__cluster", "XMPPD__domains", "XMPPD__nats__caFile", "XMPPD__nats__seedFile"]);
    for (const user of ["alice", "bob"]) expect(await admin(env, "register", user, "localhost", `${user}-pw`), user).toMatchObject({ code: 0 });

    const alice = await watchedClient(runner.c2sPorts[0]!);
    const bob = await connect({ port: runner.c2sPorts[1]!, username: "bob", password: "bob-pw", resource: "laptop" });
    clients.push(bob);
    const before = JSON.parse((await admin(env, "--json", "sessions")).stdout);
    expect(before.sessions.map((s: { jid: string }) => s.jid).sort()).toEqual(["alice@localhost/phone", "bob@localhost/laptop"]);

    const kick = await admin(env, "kick", "alice@localhost/phone", "--reason", "maintenance");
    expect(kick.stderr).toBe("");
    expect(kick.stdout).toMatch(/^kicked alice@localhost\/phone \(gateway gw1-[0-9a-f]{12}\)\n$/);
    await Promise.race([alice.disconnected, new Promise((_, reject) => setTimeout(() => reject(new Error("alice was not disconnected")), 10_000))]);
    // The stream error; @xmpp/client may report the closed socket afterwards as an error without a condition.
    expect(alice.errors.filter((e) => e.condition !== undefined).map((e) => [e.condition, e.text])).toEqual([["policy-violation", "maintenance"]]);

    const after = JSON.parse((await admin(env, "--json", "sessions")).stdout);
    expect(after.sessions.map((s: { jid: string }) => s.jid)).toEqual(["bob@localhost/laptop"]);
    expect(JSON.parse((await admin(env, "--json", "stats")).stdout)).toMatchObject({ users: 2, sessions: 1 });

    // bob is untouched: he still talks to the server, and a kicked session cannot be kicked twice.
    await bob.send(xml("message", { to: "bob@localhost/laptop", type: "chat", id: "self" }, xml("body", {}, "still here")));
    expect((await bob.next(isChat("bob@localhost"))).getChildText("body")).toBe("still here");
    expect(await admin(env, "kick", "alice@localhost/phone")).toMatchObject({ code: 1, stderr: "xmppd-admin: no session alice@localhost/phone\n" });
    await alice.xmpp.stop().catch(() => {});
  }, 150_000);
});
