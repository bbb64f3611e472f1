// `npm start` as a person runs it: one process, embedded storage, the ops listeners on loopback
// apart from the public HTTP port, the admin CLI reaching it through admin.json, and a clean
// exit on SIGTERM.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { adminFilePath, openAdminOps } from "@xmppd/admin";
import { loadConfig } from "@xmppd/config";
import { freePort, uniqueId, waitFor } from "@xmppd/testkit";

/** The HTTP status, or "refused" when nothing listens at that address. */
async function status(url: string): Promise<number | "refused"> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(5000) })).status;
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED") return "refused";
    throw err;
  }
}

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), "xmppd-standalone-"));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("standalone process", () => {
  it("serves every service, lets the CLI register a user through admin.json, and stops on SIGTERM", async () => {
    const [c2s, http, gwOps, routerOps, ampOps] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    // The public listeners on every interface, the ops listeners left at their default host.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      XMPPD__dataDir: dataDir,
      XMPPD__cluster: uniqueId("sa"),
      XMPPD__log__level: "warn",
      XMPPD__gateway__host: "0.0.0.0",
      XMPPD__gateway__c2sPort: String(c2s),
      XMPPD__gateway__tlsPort: "0",
      XMPPD__gateway__httpsPort: "0",
      XMPPD__gateway__httpPort: String(http),
      XMPPD__gateway__ops__port: String(gwOps),
      XMPPD__router__ops__port: String(routerOps),
      XMPPD__amp__ops__port: String(ampOps),
    };
    let stderr = "";
    child = spawn(process.execPath, ["--import", "tsx", MAIN], { env, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child?.once("exit", (code) => resolve(code)));

    await waitFor(() => stderr.includes("npm run admin -- register alice localhost secret"), { timeoutMs: 30_000, what: "banner" });
    expect(stderr).toContain(`port ${c2s}`);
    for (const port of [gwOps, routerOps, ampOps]) {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, { timeoutMs: 10_000, what: `readyz on ${port}` });
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/^xmpp_/m);
      // 127.0.0.2 is loopback too, but not the address 127.0.0.1 binds: the ops listener refuses it.
      expect(await status(`http://127.0.0.2:${port}/healthz`), `ops ${port} on 127.0.0.2`).toBe("refused");
    }
    // The public HTTP port (bound to every address, so 127.0.0.2 reaches it) serves no ops endpoint.
    for (const path of ["/metrics", "/healthz", "/readyz"]) expect(await status(`http://127.0.0.2:${http}${path}`), path).toBe(404);
    expect(await status(`http://127.0.0.2:${http}/.well-known/host-meta`)).toBe(200);
    expect(statSync(adminFilePath(dataDir)).mode & 0o777).toBe(0o600);

    const ops = await openAdminOps(loadConfig({ env: { XMPPD__dataDir: dataDir } }));
    expect(await ops.register("alice", "localhost", "secret")).toBe("alice@localhost");
    expect(await ops.users("localhost")).toEqual(["alice"]);
    await ops.close();

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(existsSync(adminFilePath(dataDir))).toBe(false);
  }, 60_000);
});
