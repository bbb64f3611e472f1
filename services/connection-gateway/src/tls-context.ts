// The TLS server context for STARTTLS and direct TLS: the configured PEM files, or else a
// self-signed certificate for the served domains, generated once and kept in `${dataDir}/tls/`
// so the next start (and the clients that pinned it) see the same certificate. Reloading (on
// SIGHUP) swaps the context for new handshakes; established TLS sessions keep theirs. The key is the only
// secret the DMZ tier holds besides its NATS credentials (docs/architecture.md invariant 5).
import { constants } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createSecureContext, type SecureContext, type SecureContextOptions } from "node:tls";

export interface TlsSource {
  domains: readonly string[];
  certFile?: string | undefined;
  keyFile?: string | undefined;
  dataDir: string;
}

export interface PemPair {
  cert: string;
  key: string;
}

/** TLS 1.2 or newer, no renegotiation, no compression (docs/architecture.md "Limits"). */
export function secureOptionsFor(pem: PemPair): SecureContextOptions {
  return {
    cert: pem.cert,
    key: pem.key,
    minVersion: "TLSv1.2",
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION | constants.SSL_OP_NO_COMPRESSION,
  };
}

export function secureContextFor(pem: PemPair): SecureContext {
  return createSecureContext(secureOptionsFor(pem));
}

/** The certificate new TLS handshakes use; `reload` re-reads the files. */
export class TlsMaterial {
  private constructor(
    private readonly source: TlsSource,
    private current: SecureContext,
    private currentOptions: SecureContextOptions,
  ) {}

  static async load(source: TlsSource): Promise<TlsMaterial> {
    const options = secureOptionsFor(await loadPem(source));
    return new TlsMaterial(source, createSecureContext(options), options);
  }

  get context(): SecureContext {
    return this.current;
  }

  /** The same certificate as options, for servers that build their own context (node:https). */
  get options(): SecureContextOptions {
    return this.currentOptions;
  }

  /** Reads the PEM files again; on any error the previous certificate stays in use. */
  async reload(): Promise<void> {
    const options = secureOptionsFor(await loadPem(this.source));
    this.current = createSecureContext(options);
    this.currentOptions = options;
  }
}

export async function loadPem(source: TlsSource): Promise<PemPair> {
  if (source.certFile && source.keyFile) {
    return { cert: await readFile(source.certFile, "utf8"), key: await readFile(source.keyFile, "utf8") };
  }
  if (source.certFile || source.keyFile) {
    throw new Error("gateway.tls: set both certFile and keyFile, or neither to use a generated certificate");
  }
  return selfSigned(source.domains, join(source.dataDir, "tls"));
}

async function selfSigned(domains: readonly string[], dir: string): Promise<PemPair> {
  const certPath = join(dir, "self-signed.crt");
  const keyPath = join(dir, "self-signed.key");
  const existing = await readPair(certPath, keyPath);
  if (existing) return existing;
  // Loaded only to generate one: a few MiB of heap that a gateway given a certificate never needs.
  const { generate } = await import("selfsigned");
  const pems = await generate([{ name: "commonName", value: domains[0] ?? "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: domains.map((value) => ({ type: 2 as const, value })) },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private };
}

async function readPair(certPath: string, keyPath: string): Promise<PemPair | null> {
  try {
    return { cert: await readFile(certPath, "utf8"), key: await readFile(keyPath, "utf8") };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
