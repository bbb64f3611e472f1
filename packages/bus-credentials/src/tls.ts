// A throwaway CA and the NATS server's certificate, for tests, `npm run cluster` and operators
// without a CA of their own (docs/security.md). Production may bring its own CA instead.
import { generate } from "selfsigned";

export interface PemPair {
  cert: string;
  key: string;
}

const DAY_MS = 24 * 3600 * 1000;

export async function issueCa(commonName = "xmppd bus CA"): Promise<PemPair> {
  const pems = await generate([{ name: "commonName", value: commonName }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 3650 * DAY_MS),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A server certificate for every name and address clients use to reach NATS. */
export async function issueServerCert(ca: PemPair, hosts: readonly string[]): Promise<PemPair> {
  if (hosts.length === 0) throw new Error("the NATS server certificate needs at least one host name or address");
  const isIp = (h: string) => /^[0-9.]+$/.test(h) || h.includes(":");
  const pems = await generate([{ name: "commonName", value: hosts[0]! }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 825 * DAY_MS),
    ca: { cert: ca.cert, key: ca.key },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: hosts.map((h) => (isIp(h) ? { type: 7 as const, ip: h } : { type: 2 as const, value: h })) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
