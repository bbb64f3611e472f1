// check-config on gateway.tls.certFile / keyFile, with certificates made by openssl as an
// operator's CA or ACME client would hand them over: every failure names the key and the file.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@xmppd/config";
import { checkCertificates } from "./certificate-check.ts";
import { runCli } from "./cli.ts";
import { checkConfig, type ConfigProblem } from "./config-check.ts";

let dir: string;

/** A self-signed certificate and its key, valid from now for `days`. */
function certificate(name: string, sans: string[], days = 30): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
    "-subj", `/CN=${sans[0] ?? "none"}`, ...(sans.length > 0 ? ["-addext", `subjectAltName=${sans.map((s) => `DNS:${s}`).join(",")}`] : []), "-days", String(days),
  ], { stdio: "ignore" });
  return { cert, key };
}

function check(domains: string[], certFile: string, keyFile: string): ConfigProblem[] {
  const result = checkConfig(undefined, {
    XMPPD__domains: JSON.stringify(domains), XMPPD__gateway__tls__certFile: certFile, XMPPD__gateway__tls__keyFile: keyFile,
  });
  return result.ok ? [] : result.problems;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "xmppd-certs-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("check-config: certificate and key files", () => {
  it("accepts a certificate whose names, a wildcard among them, cover every served domain", () => {
    const { cert, key } = certificate("good", ["example.com", "*.example.org"]);
    expect(check(["example.com", "chat.example.org"], cert, key)).toEqual([]);
  });

  it("names the key and the file when a file does not exist, is a directory, or holds no PEM", () => {
    const { cert, key } = certificate("pair", ["example.com"]);
    const missing = join(dir, "missing.crt");
    expect(check(["example.com"], missing, key)).toEqual([
      { key: "gateway.tls.certFile", problem: `${missing} does not exist`, fix: "point it at the PEM file, readable by the user the server runs as" },
    ]);
    const folder = join(dir, "a-directory");
    mkdirSync(folder);
    expect(check(["example.com"], cert, folder)).toEqual([
      { key: "gateway.tls.keyFile", problem: `${folder} is a directory`, fix: "point it at the PEM file, readable by the user the server runs as" },
    ]);
    const garbage = join(dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate\n");
    const problems = check(["example.com"], garbage, garbage);
    expect(problems.map((p) => p.key)).toEqual(["gateway.tls.certFile", "gateway.tls.keyFile"]);
    expect(problems[0]!.problem).toMatch(new RegExp(`^${garbage} does not hold a PEM certificate`));
    expect(problems[1]!.problem).toMatch(new RegExp(`^${garbage} does not hold a PEM private key`));
  });

  it("refuses a key that is not the certificate's", () => {
    const a = certificate("a", ["example.com"]);
    const b = certificate("b", ["example.com"]);
    expect(check(["example.com"], a.cert, b.key)).toEqual([{
      key: "gateway.tls.keyFile",
      problem: `the key in ${b.key} is not the key of the certificate in ${a.cert}`,
      fix: "use the key the certificate was issued for (the pair your CA or ACME client wrote together)",
    }]);
  });

  it("names each served domain the certificate does not cover: a wildcard covers one label, not the domain itself", () => {
    const { cert, key } = certificate("wild", ["*.example.org", "example.com"]);
    const problems = check(["example.com", "example.org", "a.b.example.org", "chat.example.org"], cert, key);
    expect(problems.map((p) => [p.key, p.problem])).toEqual([
      ["gateway.tls.certFile", `the certificate in ${cert} does not cover the served domain example.org (its subjectAltName: DNS:*.example.org, DNS:example.com)`],
      ["gateway.tls.certFile", `the certificate in ${cert} does not cover the served domain a.b.example.org (its subjectAltName: DNS:*.example.org, DNS:example.com)`],
    ]);
  });

  it("does not take the subject's common name for a name the certificate covers", () => {
    const { cert, key } = certificate("cn-only", []);
    // CN=none, no subjectAltName.
    expect(check(["none"], cert, key).map((p) => p.problem)).toEqual([`the certificate in ${cert} does not cover the served domain none (its subjectAltName: none)`]);
  });

  it("checks each of gateway.tls.certificates, and lets them cover the served domains together", () => {
    const main = certificate("main", ["example.com"]);
    const other = certificate("other", ["example.net"]);
    const stranger = certificate("stranger", ["example.org"]);
    const env = (extra: { certFile: string; keyFile: string }[]) => ({
      XMPPD__domains: '["example.com", "example.net"]', XMPPD__gateway__tls__certFile: main.cert, XMPPD__gateway__tls__keyFile: main.key,
      XMPPD__gateway__tls__certificates: JSON.stringify(extra),
    });
    const problems = (extra: { certFile: string; keyFile: string }[]) => { const r = checkConfig(undefined, env(extra)); return r.ok ? [] : r.problems; };
    expect(problems([{ certFile: other.cert, keyFile: other.key }])).toEqual([]);
    expect(problems([{ certFile: other.cert, keyFile: main.key }])).toEqual([{
      key: "gateway.tls.certificates[0].keyFile",
      problem: `the key in ${main.key} is not the key of the certificate in ${other.cert}`,
      fix: "use the key the certificate was issued for (the pair your CA or ACME client wrote together)",
    }]);
    expect(problems([{ certFile: stranger.cert, keyFile: stranger.key }]).map((p) => [p.key, p.problem])).toEqual([
      ["gateway.tls.certFile", `no certificate covers the served domain example.net (${main.cert}: DNS:example.com; ${stranger.cert}: DNS:example.org)`],
    ]);
  });

  it("reports an expired certificate", () => {
    const { cert, key } = certificate("short", ["example.com"], 1);
    const config = loadConfig({ env: { XMPPD__domains: '["example.com"]', XMPPD__gateway__tls__certFile: cert, XMPPD__gateway__tls__keyFile: key } });
    const validTo = new Date(new X509Certificate(readFileSync(cert)).validTo);
    expect(checkCertificates(config, new Date(validTo.getTime() - 1000))).toEqual([]);
    expect(checkCertificates(config, new Date(validTo.getTime() + 1000)).map((p) => p.problem)).toEqual([`the certificate in ${cert} expired on ${validTo.toISOString()}`]);
  });

  it("makes the CLI exit 1 with each problem on a line", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const missing = join(dir, "nope.crt");
    const { key } = certificate("cli", ["example.com"]);
    const code = await runCli(["check-config"], {
      out: (t) => out.push(t), err: (t) => err.push(t), open: async () => { throw new Error("no backend"); },
      env: { XMPPD__gateway__tls__certFile: missing, XMPPD__gateway__tls__keyFile: key },
    });
    expect(code).toBe(1);
    expect(out).toEqual([`gateway.tls.certFile: ${missing} does not exist (point it at the PEM file, readable by the user the server runs as)`]);
    expect(err).toEqual(["xmppd-admin: invalid configuration (1 problem)"]);
  });
});
