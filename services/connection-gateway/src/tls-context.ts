// The TLS server contexts for STARTTLS, direct TLS and HTTPS: the configured PEM files, or else a
// self-signed certificate for the served domains, generated once and kept in `${dataDir}/tls/`
// so the next start (and the clients that pinned it) see the same certificate; plus one context
// per extra certificate (gateway.tls.certificates), chosen for the name a client asks for (SNI,
// or the stream's domain for STARTTLS) among those its subjectAltName names. Reloading (on
// SIGHUP) swaps the contexts for new handshakes; established TLS sessions keep theirs. The keys
// are the only secrets the DMZ tier holds besides its NATS credentials (docs/architecture.md invariant 5).
import { X509Certificate, constants } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createSecureContext, type SecureContext, type SecureContextOptions } from "node:tls";

export interface TlsSource {
  domains: readonly string[];
  certFile?: string | undefined;
  keyFile?: string | undefined;
  certificates?: readonly { certFile: string; keyFile: string }[];
  dataDir: string;
}

type SniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void;

/** What a TLS handshake is given: the context for the name known in advance, and SNI's choice. */
export interface ServerTls {
  context: SecureContext;
  SNICallback: SniCallback;
}

interface Extra {
  cert: X509Certificate;
  context: SecureContext;
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

/** The certificates new TLS handshakes use; `reload` re-reads the files. */
export class TlsMaterial {
  /** For every handshake: SNI picks an extra certificate naming the requested host, if one does. */
  readonly sni: SniCallback = (servername, cb) => cb(null, this.extraFor(servername) ?? this.current);

  private constructor(
    private readonly source: TlsSource,
    private current: SecureContext,
    private currentOptions: SecureContextOptions,
    private extras: Extra[],
  ) {}

  static async load(source: TlsSource): Promise<TlsMaterial> {
    const options = secureOptionsFor(await loadPem(source));
    return new TlsMaterial(source, createSecureContext(options), options, await loadExtras(source));
  }

  /** The default certificate (certFile, or the generated one). */
  get context(): SecureContext {
    return this.current;
  }

  /** The default certificate as options, for servers that build their own context (node:https; `sni` still chooses). */
  get options(): SecureContextOptions {
    return this.currentOptions;
  }

  /** For a handshake whose domain is known before it starts (STARTTLS: the stream's `to`); a client's SNI still wins. */
  forDomain(domain: string | undefined): ServerTls {
    return { context: (domain === undefined ? undefined : this.extraFor(domain)) ?? this.current, SNICallback: this.sni };
  }

  /** Reads the PEM files again; on any error the previous certificates stay in use. */
  async reload(): Promise<void> {
    const options = secureOptionsFor(await loadPem(this.source));
    const extras = await loadExtras(this.source);
    this.current = createSecureContext(options);
    this.currentOptions = options;
    this.extras = extras;
  }

  private extraFor(host: string): SecureContext | undefined {
    // RFC 6125 §6.4: subjectAltName DNS names only (wildcards one level deep), never the CN.
    return this.extras.find((e) => e.cert.checkHost(host, { subject: "never" }) !== undefined)?.context;
  }
}

async function loadExtras(source: TlsSource): Promise<Extra[]> {
  return Promise.all((source.certificates ?? []).map(async ({ certFile, keyFile }, i) => {
    const at = `gateway.tls.certificates[${i}]`;
    const pem = { cert: await readFile(certFile, "utf8"), key: await readFile(keyFile, "utf8") };
    const cert = new X509Certificate(pem.cert);
    if (!cert.subjectAltName?.includes("DNS:")) throw new Error(`${at}.certFile: ${certFile} names no DNS subjectAltName, so no client name would choose it`);
    try {
      return { cert, context: secureContextFor(pem) };
    } catch (err) {
      throw new Error(`${at}: ${certFile} with ${keyFile}: ${(err as Error).message}`);
    }
  }));
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
