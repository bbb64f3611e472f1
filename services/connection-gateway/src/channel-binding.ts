// Channel-binding data of a TLS connection, computed where TLS ends (the gateway) and passed with
// the SASL <auth/> to the router, which runs SCRAM-*-PLUS (docs/architecture.md "Channel binding").
import { createHash } from "node:crypto";
import type { TLSSocket } from "node:tls";

export type ChannelBindingType = "tls-exporter" | "tls-server-end-point";

export interface ChannelBindingData {
  type: ChannelBindingType;
  data: Buffer;
}

/** RFC 9266 §2: the exporter label, 32 bytes, no context. */
const EXPORTER_LABEL = "EXPORTER-Channel-Binding";

/**
 * The bindings this connection supports among `wanted`. tls-exporter only on TLS 1.3: below it
 * the exporter is safe only with the extended master secret (RFC 9266 §3), which Node cannot
 * tell us. tls-server-end-point needs our certificate (RFC 5929 §4.1).
 */
export function channelBindings(socket: TLSSocket, wanted: readonly ChannelBindingType[]): ChannelBindingData[] {
  const out: ChannelBindingData[] = [];
  if (wanted.includes("tls-exporter") && socket.getProtocol() === "TLSv1.3") {
    // In TLS 1.3 an empty context is the same as none (RFC 8446 §7.5), which RFC 9266 asks for.
    out.push({ type: "tls-exporter", data: socket.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0)) });
  }
  const cert = socket.getCertificate();
  if (wanted.includes("tls-server-end-point") && cert && "raw" in cert && cert.raw) {
    out.push({ type: "tls-server-end-point", data: serverEndPoint(cert.raw) });
  }
  return out;
}

/**
 * RFC 5929 §4.1: the hash of the DER certificate, with the hash function of its signature
 * algorithm, except that MD5 and SHA-1 are replaced by SHA-256. Algorithms that name no hash
 * (Ed25519, Ed448) get SHA-256 too, as other implementations do.
 */
export function serverEndPoint(der: Buffer): Buffer {
  return createHash(endPointHash(der)).update(der).digest();
}

// Signature algorithm OIDs (DER content bytes, hex) whose hash is stronger than SHA-256.
const SHA384 = new Set(["2a864886f70d01010c", "2a8648ce3d040303"]); // sha384WithRSAEncryption, ecdsa-with-SHA384
const SHA512 = new Set(["2a864886f70d01010d", "2a8648ce3d040304"]); // sha512WithRSAEncryption, ecdsa-with-SHA512

export function endPointHash(der: Buffer): "sha256" | "sha384" | "sha512" {
  const oid = signatureAlgorithmOid(der);
  if (oid && SHA384.has(oid)) return "sha384";
  if (oid && SHA512.has(oid)) return "sha512";
  return "sha256";
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, ... }, ... } (RFC 5280 §4.1). */
function signatureAlgorithmOid(der: Buffer): string | null {
  const cert = readTlv(der, 0);
  if (!cert || cert.tag !== 0x30) return null;
  const tbs = readTlv(der, cert.start);
  if (!tbs) return null;
  const alg = readTlv(der, tbs.end);
  if (!alg || alg.tag !== 0x30) return null;
  const oid = readTlv(der, alg.start);
  return oid && oid.tag === 0x06 ? der.subarray(oid.start, oid.end).toString("hex") : null;
}

/** One DER tag-length-value at `at`: where its content starts and ends. */
function readTlv(der: Buffer, at: number): { tag: number; start: number; end: number } | null {
  if (at + 2 > der.length) return null;
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const bytes = len & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > der.length) return null;
    len = 0;
    for (let i = 0; i < bytes; i++) len = len * 256 + der[start + i]!;
    start += bytes;
  }
  return start + len <= der.length ? { tag, start, end: start + len } : null;
}
