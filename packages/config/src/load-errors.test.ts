import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "xmppd-config-err-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function yamlFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problems(options: Parameters<typeof loadConfig>[0]): string[] {
  try {
    loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).name).toBe("ConfigError");
    const lines = (err as Error).message.split("\n");
    expect(lines[0]).toMatch(/^invalid configuration \(\d+ problems?\):$/);
    expect((err as ConfigError).issues).toHaveLength(lines.length - 1);
    return lines.slice(1);
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig errors", () => {
  it("names a bad XEP-0198 resumption timeout", () => {
    expect(problems({ env: { XMPPD__gateway__streamManagement__resumeTimeoutSeconds: "0" } })).toEqual([
      "gateway.streamManagement.resumeTimeoutSeconds: expected integer >= 1, got 0 (set an integer of at least 1) [from env XMPPD__gateway__streamManagement__resumeTimeoutSeconds]",
    ]);
  });

  it("names a bad AMP work-stream bound", () => {
    expect(problems({ file: yamlFile("amp-queue.yaml", "amp:\n  queue:\n    maxMessages: 0\n    maxBytes: 1.5\n"), env: {} })).toEqual([
      expect.stringMatching(/^amp\.queue\.maxMessages: .*got 0/),
      expect.stringMatching(/^amp\.queue\.maxBytes: .*integer/),
    ]);
    expect(loadConfig({ env: {} }).amp.queue).toEqual({ maxMessages: 1_000_000, maxBytes: 1024 ** 3 });
  });

  it("names a WebSocket see-other-uri that is not a ws:// or wss:// URL", () => {
    const [line] = problems({ env: { XMPPD__gateway__websocket__seeOtherUri: "https://other.example/xmpp-websocket" } });
    expect(line).toMatch(/^gateway\.websocket\.seeOtherUri: .*a ws:\/\/ or wss:\/\/ URL.*\[from env XMPPD__gateway__websocket__seeOtherUri\]$/);
  });

  it("names a bad port, its fix and the env variable", () => {
    expect(problems({ env: { XMPPD__gateway__c2sPort: "x" } })).toEqual([
      'gateway.c2sPort: expected integer 0..65535, got "x" (set a port number) [from env XMPPD__gateway__c2sPort]',
    ]);
  });

  it("names unknown keys in the file with the valid keys and the line", () => {
    const file = yamlFile("unknown.yaml", "gateway:\n  foo: 1\n");
    expect(problems({ file, env: {} })).toEqual([
      `gateway.foo: unknown key (remove it; valid keys: name, host, c2sPort, tlsPort, httpPort, httpsPort, tls, websocket, bosh, limits, pingIntervalMs, drainMs, streamManagement, seeOtherHost, ops) [from file ${file} line 2]`,
    ]);
  });

  it("rejects env variables naming unknown keys", () => {
    expect(problems({ env: { XMPPD__gateway__c2sport: "1", XMPPD__gateway__c2sPort__x: "1" } })).toEqual([
      "gateway.c2sPort.x: unknown key (gateway.c2sPort is a single value, not a section; set XMPPD__gateway__c2sPort instead) [from env XMPPD__gateway__c2sPort__x]",
      "gateway.c2sport: unknown key (remove XMPPD__gateway__c2sport; valid keys: name, host, c2sPort, tlsPort, httpPort, httpsPort, tls, websocket, bosh, limits, pingIntervalMs, drainMs, streamManagement, seeOtherHost, ops) [from env XMPPD__gateway__c2sport]",
    ]);
  });

  it("lists every problem at once, one per line", () => {
    const file = yamlFile("many.yaml", "log:\n  level: loud\ncluster: Big\nsasl:\n  mechanisms: []\ngateway:\n  limits:\n    depth: 0\n");
    const lines = problems({ file, env: { XMPPD__gateway__tls__required: "yes" } });
    expect(lines).toHaveLength(5);
    expect(lines).toContain(
      `log.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud" (use one of the listed values) [from file ${file} line 2]`,
    );
    expect(lines).toContain(`cluster: expected string matching ^[a-z0-9][a-z0-9_-]{0,30}$, got "Big" (use lowercase letters, digits, - and _) [from file ${file} line 3]`);
    expect(lines.find((l) => l.startsWith("sasl.mechanisms:"))).toMatch(/expected list of one of .* \(at least 1\), got \[\]/);
    expect(lines).toContain(`gateway.limits.depth: expected integer >= 1, got 0 (set an integer of at least 1) [from file ${file} line 8]`);
    expect(lines).toContain('gateway.tls.required: expected boolean, got "yes" (set true or false) [from env XMPPD__gateway__tls__required]');
  });

  it("requires certFile and keyFile together", () => {
    expect(problems({ env: { XMPPD__gateway__tls__certFile: "/c.pem" } })).toEqual([
      "gateway.tls.keyFile: missing while gateway.tls.certFile is set (set both certFile and keyFile, or neither to use a generated self-signed certificate) [from env XMPPD__gateway__tls__certFile]",
    ]);
    expect(problems({ env: { XMPPD__gateway__tls__keyFile: "/k.pem" } })[0]).toMatch(/^gateway\.tls\.certFile: missing while gateway\.tls\.keyFile is set/);
  });

  it("rejects domains that are not domain names, and duplicates", () => {
    const lines = problems({ env: { XMPPD__domains: '["ok.example","bad_name.example","a..b","-x.example","trailing.example.","OK.example"]' } });
    expect(lines).toEqual([
      'domains[1]: "bad_name.example" is not a valid domain name (use a DNS name such as example.com) [from env XMPPD__domains]',
      'domains[2]: "a..b" is not a valid domain name (use a DNS name such as example.com) [from env XMPPD__domains]',
      'domains[3]: "-x.example" is not a valid domain name (use a DNS name such as example.com) [from env XMPPD__domains]',
      'domains[4]: "trailing.example." is not a valid domain name (use a DNS name such as example.com) [from env XMPPD__domains]',
      "domains[5]: duplicate of domains[0] (list each domain once) [from env XMPPD__domains]",
    ]);
    expect(loadConfig({ env: { XMPPD__domains: '["bücher.example","localhost","127.0.0.1"]' } }).domains).toHaveLength(3);
  });

  it("requires heartbeat.deadAfterMs above intervalMs, naming both sources", () => {
    const file = yamlFile("hb.yaml", "heartbeat:\n  deadAfterMs: 2000\n");
    expect(problems({ file, env: { XMPPD__heartbeat__intervalMs: "2000" } })).toEqual([
      `heartbeat.deadAfterMs: must be greater than heartbeat.intervalMs (2000), got 2000 (allow a few missed beats, e.g. 3 x intervalMs) [from file ${file} line 2, env XMPPD__heartbeat__intervalMs]`,
    ]);
  });

  it("validates the AMP security levels and their per-domain overrides (XEP-0079 DP-24)", () => {
    const file = yamlFile("amp.yaml", "domains: [a.example]\namp:\n  security: lax\n  domainSecurity:\n    a.example: none\n    b.example: strict\n");
    const lines = problems({ file, env: {} });
    expect(lines).toHaveLength(2);
    expect(lines).toContain(`amp.security: expected one of strict, performance, none, got "lax" (use one of the listed values) [from file ${file} line 3]`);
    expect(lines.find((l) => l.startsWith("amp.domainSecurity.b.example:"))).toMatch(/"b\.example" is not one of the served domains \(use a domain listed in domains\)/);
    const ok = loadConfig({ file: yamlFile("amp-ok.yaml", "domains: [a.example]\namp:\n  domainSecurity:\n    a.example: performance\n"), env: {} });
    expect(ok.amp.security).toBe("strict");
    expect(ok.amp.domainSecurity).toEqual({ "a.example": "performance" });
  });

  it("reports an unreadable file, YAML syntax errors and a non-mapping top level", () => {
    const missing = join(dir, "nope.yaml");
    expect(problems({ file: missing, env: {} })[0]).toMatch(new RegExp(`^config file ${missing}: cannot read it: ENOENT`));
    const broken = yamlFile("broken.yaml", "gateway:\n  c2sPort: [1\n");
    expect(problems({ file: broken, env: {} })[0]).toMatch(/^config file .*broken\.yaml: YAML error at line \d+, column \d+: .* \(fix the YAML syntax\)$/);
    const list = yamlFile("list.yaml", "- a\n- b\n");
    expect(problems({ file: list, env: {} })).toEqual([`config file ${list}: top level is not a mapping (write the configuration as key: value pairs)`]);
  });

  it("names bad SASL, registration and legacy-auth settings", () => {
    const file = yamlFile("auth.yaml", "sasl:\n  mechanisms: [SCRAM-SHA-512-PLUS]\n  channelBindings: [tls-unique]\nauth:\n  throttle:\n    maxDelayMs: 10000\nregistration:\n  enabled: yes please\n  maxPerIpPerHour: 0\nlegacyAuth:\n  digest: true\n");
    const lines = problems({ file, env: {} });
    expect(lines.find((l) => l.startsWith("sasl.mechanisms[0]:"))).toMatch(/expected one of SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN, got "SCRAM-SHA-512-PLUS"/);
    expect(lines.find((l) => l.startsWith("sasl.channelBindings[0]:"))).toMatch(/expected one of tls-exporter, tls-server-end-point, got "tls-unique"/);
    expect(lines.find((l) => l.startsWith("auth.throttle.maxDelayMs:"))).toMatch(/expected integer 0..9000, got 10000/);
    expect(lines.find((l) => l.startsWith("registration.enabled:"))).toMatch(/boolean/);
    expect(lines.find((l) => l.startsWith("registration.maxPerIpPerHour:"))).toMatch(/expected integer >= 1, got 0/);
    expect(lines.find((l) => l.startsWith("legacyAuth.digest:"))).toMatch(/unknown key \(remove it; valid keys: enabled\)/);
  });

  it("treats an empty file as no settings", () => {
    expect(loadConfig({ file: yamlFile("empty.yaml", ""), env: {} }).cluster).toBe("xmpp");
  });
});
