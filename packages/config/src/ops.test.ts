// The ops listeners' keys: loopback by default, a port of their own, and the keys they replaced
// stop the start with the new name.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "xmppd-config-ops-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(options: Parameters<typeof loadConfig>[0]): string[] {
  try {
    loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split("\n").slice(1);
  }
  throw new Error("expected a ConfigError");
}

describe("ops listener keys", () => {
  it("default to loopback, on ports apart from the gateway's public ones", () => {
    const config = loadConfig({ env: {} });
    expect([config.gateway.ops, config.router.ops, config.amp.ops]).toEqual([
      { host: "127.0.0.1", port: 5289 },
      { host: "127.0.0.1", port: 5290 },
      { host: "127.0.0.1", port: 5291 },
    ]);
    expect(config.gateway.host).toBe("0.0.0.0");
    const publicPorts = [config.gateway.c2sPort, config.gateway.tlsPort, config.gateway.httpPort, config.gateway.httpsPort];
    expect(publicPorts).not.toContain(config.gateway.ops.port);
  });

  it("are set from the file and from XMPPD__<service>__ops__*", () => {
    const file = join(dir, "ops.yaml");
    writeFileSync(file, "router:\n  ops:\n    host: 0.0.0.0\n    port: 6290\n");
    const config = loadConfig({ file, env: { XMPPD__gateway__ops__host: "0.0.0.0", XMPPD__amp__ops__port: "0" } });
    expect([config.gateway.ops.host, config.router.ops, config.amp.ops.port]).toEqual(["0.0.0.0", { host: "0.0.0.0", port: 6290 }, 0]);
  });

  it("name the key that replaced router.host, router.httpPort, amp.host and amp.httpPort, in a file", () => {
    const file = join(dir, "old.yaml");
    writeFileSync(file, "router:\n  host: 0.0.0.0\n  httpPort: 5290\namp:\n  host: 0.0.0.0\n  httpPort: 5291\n");
    const why = "/metrics, /healthz and /readyz have a listener of their own, on 127.0.0.1 unless ops.host says otherwise";
    expect(problems({ file, env: {} })).toEqual([
      `router.host: replaced by router.ops.host: ${why} (rename it to router.ops.host) [from file ${file} line 2]`,
      `router.httpPort: replaced by router.ops.port: ${why} (rename it to router.ops.port) [from file ${file} line 3]`,
      `amp.host: replaced by amp.ops.host: ${why} (rename it to amp.ops.host) [from file ${file} line 5]`,
      `amp.httpPort: replaced by amp.ops.port: ${why} (rename it to amp.ops.port) [from file ${file} line 6]`,
    ]);
  });

  it("name the variable that replaced an old one", () => {
    expect(problems({ env: { XMPPD__router__httpPort: "5290", XMPPD__amp__host: "0.0.0.0" } })).toEqual([
      expect.stringMatching(/^amp\.host: replaced by amp\.ops\.host: .* \(rename XMPPD__amp__host to XMPPD__amp__ops__host\) \[from env XMPPD__amp__host\]$/),
      expect.stringMatching(/^router\.httpPort: replaced by router\.ops\.port: .* \(rename XMPPD__router__httpPort to XMPPD__router__ops__port\) \[from env XMPPD__router__httpPort\]$/),
    ]);
  });

  it("refuse a gateway ops port that is also one of its public ports", () => {
    expect(problems({ env: { XMPPD__gateway__ops__port: "5280" } })).toEqual([
      "gateway.ops.port: 5280 is also gateway.httpPort, a public port (give the ops endpoints a port of their own (default 5289)) [from env XMPPD__gateway__ops__port]",
    ]);
    expect(problems({ env: { XMPPD__gateway__c2sPort: "5289" } })[0]).toMatch(/^gateway\.ops\.port: 5289 is also gateway\.c2sPort, .*\[from env XMPPD__gateway__c2sPort\]$/);
    expect(loadConfig({ env: { XMPPD__gateway__ops__port: "0", XMPPD__gateway__httpPort: "0" } }).gateway.ops.port).toBe(0);
  });
});
