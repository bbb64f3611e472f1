import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { publicKeyOf, writeBusSecrets } from "./secrets.ts";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("writeBusSecrets", () => {
  it("writes one private seed per identity and lists the matching public keys", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bus-secrets-"));
    dirs.push(dir);
    const secrets = await writeBusSecrets(dir, { gateways: ["gateway-1", "gateway-2"], hosts: ["nats", "127.0.0.1"] });
    expect(secrets.users().map((u) => u.role === "gateway" ? `gateway:${u.gateway}` : u.role)).toEqual(["router", "amp-worker", "admin", "gateway:gateway-1", "gateway:gateway-2"]);
    const listed = await readFile(secrets.nkeysFile, "utf8");
    for (const user of secrets.users()) {
      const seed = secrets.seedFile(user);
      expect(await publicKeyOf(seed)).toBe(user.nkey);
      expect(listed).toContain(`"${user.nkey}"`);
    }
    expect(listed).toContain("XMPPD_NKEY_GATEWAY_GATEWAY_1:");
    expect(secrets.seedFile({ role: "gateway", gateway: "gateway-2" })).toBe(join(dir, "gateway-gateway-2.nk"));
  });

  it("issues a server certificate for the given names, signed by the CA", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bus-secrets-"));
    dirs.push(dir);
    const secrets = await writeBusSecrets(dir, { gateways: [], hosts: ["nats", "127.0.0.1"] });
    const ca = new X509Certificate(await readFile(secrets.caFile));
    const server = new X509Certificate(await readFile(secrets.serverCertFile));
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost("nats")).toBe("nats");
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(server.checkHost("evil.example")).toBeUndefined();
    // The directory keeps them from the host's other users; compose mounts the files themselves.
    expect((await stat(dir)).mode & 0o077).toBe(0);
  });
});
