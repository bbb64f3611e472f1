// check-config's look at gateway.tls.certFile and keyFile and each of gateway.tls.certificates:
// readable, parsed, the key is the certificate's, not expired, and together they name every served domain (subjectAltName dNSName,
// wildcards as RFC 6125 §6.4.3 allows them; X509Certificate.checkHost applies those rules).
// Without the two files the gateway generates a self-signed certificate: nothing to check.
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { domainToASCII } from "node:url";
import type { Config } from "@xmppd/config";
import type { ConfigProblem } from "./config-check.ts";

interface Pair {
  certFile: string;
  keyFile: string;
  certKey: string;
  keyKey: string;
}

export function checkCertificates(config: Config, now = new Date()): ConfigProblem[] {
  const { certFile, keyFile, certificates } = config.gateway.tls;
  const pairs: Pair[] = certificates.map((c, i) => ({ ...c, certKey: `gateway.tls.certificates[${i}].certFile`, keyKey: `gateway.tls.certificates[${i}].keyFile` }));
  // Without certFile/keyFile the gateway generates a certificate for every served domain.
  const generated = !certFile || !keyFile;
  if (!generated) pairs.unshift({ certFile, keyFile, certKey: "gateway.tls.certFile", keyKey: "gateway.tls.keyFile" });
  const problems: ConfigProblem[] = [];
  const certs = pairs.flatMap((pair) => {
    const cert = checkPair(pair, problems, now);
    return cert ? [{ cert, pair }] : [];
  });
  // Every pair that could not be read was reported already; coverage is judged on the others.
  if (generated || certs.length < pairs.length) return problems;
  for (const domain of config.domains) {
    const ascii = domainToASCII(domain) || domain;
    if (certs.some(({ cert }) => cert.checkHost(ascii, { subject: "never" }) !== undefined)) continue;
    const [only, ...more] = certs;
    const problem = more.length === 0
      ? `the certificate in ${only!.pair.certFile} does not cover the served domain ${domain} (its subjectAltName: ${only!.cert.subjectAltName ?? "none"})`
      : `no certificate covers the served domain ${domain} (${certs.map(({ cert, pair }) => `${pair.certFile}: ${cert.subjectAltName ?? "none"}`).join("; ")})`;
    problems.push({ key: only!.pair.certKey, problem, fix: `get a certificate whose subjectAltName has DNS:${ascii} (or a wildcard one level above it), as certFile or in gateway.tls.certificates` });
  }
  return problems;
}

function checkPair({ certFile, keyFile, certKey, keyKey }: Pair, problems: ConfigProblem[], now: Date): X509Certificate | undefined {
  const cert = parse(certFile, certKey, problems, (pem) => new X509Certificate(pem), "a PEM certificate (-----BEGIN CERTIFICATE-----)");
  const key = parse(keyFile, keyKey, problems, (pem): KeyObject => createPrivateKey(pem), "a PEM private key (-----BEGIN PRIVATE KEY-----)");
  if (!cert) return undefined;
  if (key && !cert.checkPrivateKey(key)) {
    problems.push({ key: keyKey, problem: `the key in ${keyFile} is not the key of the certificate in ${certFile}`, fix: "use the key the certificate was issued for (the pair your CA or ACME client wrote together)" });
  }
  if (new Date(cert.validTo) < now) {
    problems.push({ key: certKey, problem: `the certificate in ${certFile} expired on ${new Date(cert.validTo).toISOString()}`, fix: "renew it (docs/admin.md)" });
  }
  return cert;
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
