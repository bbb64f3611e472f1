// check-config's look at gateway.tls.certFile and keyFile: both readable, both parse, the key is
// the certificate's, and the certificate names every served domain (subjectAltName dNSName,
// wildcards as RFC 6125 §6.4.3 allows them; X509Certificate.checkHost applies those rules).
// Without the two files the gateway generates a self-signed certificate: nothing to check.
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { domainToASCII } from "node:url";
import type { Config } from "@xmppd/config";
import type { ConfigProblem } from "./config-check.ts";

const CERT_KEY = "gateway.tls.certFile";
const KEY_KEY = "gateway.tls.keyFile";

export function checkCertificates(config: Config, now = new Date()): ConfigProblem[] {
  const { certFile, keyFile } = config.gateway.tls;
  if (!certFile || !keyFile) return [];
  const problems: ConfigProblem[] = [];
  const cert = parse(certFile, CERT_KEY, problems, (pem) => new X509Certificate(pem), "a PEM certificate (-----BEGIN CERTIFICATE-----)");
  const key = parse(keyFile, KEY_KEY, problems, (pem): KeyObject => createPrivateKey(pem), "a PEM private key (-----BEGIN PRIVATE KEY-----)");
  if (!cert) return problems;
  if (key && !cert.checkPrivateKey(key)) {
    problems.push({ key: KEY_KEY, problem: `the key in ${keyFile} is not the key of the certificate in ${certFile}`, fix: "use the key the certificate was issued for (the pair your CA or ACME client wrote together)" });
  }
  const names = cert.subjectAltName ?? "none";
  for (const domain of config.domains) {
    const ascii = domainToASCII(domain) || domain;
    if (cert.checkHost(ascii, { subject: "never" }) === undefined) {
      problems.push({ key: CERT_KEY, problem: `the certificate in ${certFile} does not cover the served domain ${domain} (its subjectAltName: ${names})`, fix: `get a certificate whose subjectAltName has DNS:${ascii} (or a wildcard one level above it)` });
    }
  }
  if (new Date(cert.validTo) < now) {
    problems.push({ key: CERT_KEY, problem: `the certificate in ${certFile} expired on ${new Date(cert.validTo).toISOString()}`, fix: "renew it (docs/admin.md)" });
  }
  return problems;
}

function parse<T>(file: string, key: string, problems: ConfigProblem[], read: (pem: string) => T, what: string): T | undefined {
  let pem: string;
  try {
    pem = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable by this user" : code === "EISDIR" ? "is a directory" : `cannot be read (${code ?? (err as Error).message})`;
    problems.push({ key, problem: `${file} ${why}`, fix: "point it at the PEM file, readable by the user the server runs as" });
    return undefined;
  }
  try {
    return read(pem);
  } catch (err) {
    problems.push({ key, problem: `${file} does not hold ${what}: ${(err as Error).message}`, fix: "give the PEM file itself, not DER or PKCS#12" });
    return undefined;
  }
}
