// The configuration schema: one YAML file plus environment overrides (see env.ts).
// Every key has a default that makes a single host work with no file at all.
import * as z from "zod";

const port = z.number().int().min(0).max(65535);
const positive = z.number().int().positive();
const ms = z.number().int().positive();
const securityLevel = z.enum(["strict", "performance", "none"]);

const limits = z
  .object({
    /** Largest stanza after authentication, in bytes. */
    stanzaBytes: positive.default(256 * 1024),
    /** Largest stanza before authentication, in bytes. */
    preAuthStanzaBytes: positive.default(8 * 1024),
    /** Elements per stanza before authentication. */
    preAuthElements: positive.default(32),
    /** Element nesting depth inside a stanza. */
    depth: positive.default(64),
    /** Sustained bytes per second read from one c2s connection, and the burst. */
    bytesPerSecond: positive.default(10 * 1024),
    bytesBurst: positive.default(20 * 1024),
    /** Stanzas per second per session, and the burst. */
    stanzasPerSecond: positive.default(50),
    stanzasBurst: positive.default(200),
    /** Concurrent connections per IP, new connections per IP per 10 s, and per gateway. */
    connectionsPerIp: positive.default(20),
    newConnectionsPerIpPer10s: positive.default(10),
    connectionsPerGateway: positive.default(50_000),
    /** Time for each negotiation step and for the whole negotiation before authentication. */
    negotiationStepMs: ms.default(10_000),
    negotiationTotalMs: ms.default(60_000),
    /** SASL failures per stream before <not-authorized/> and close. */
    saslFailuresPerStream: positive.default(3),
    /** SASL failures per IP per 5 minutes before throttling. */
    saslFailuresPerIp: positive.default(20),
    /** Outbound queue per session: stanzas and bytes. */
    outboundStanzas: positive.default(1000),
    outboundBytes: positive.default(2 * 1024 * 1024),
    /** Bound resources per account. */
    resourcesPerAccount: positive.default(10),
  })
  .strict()
  .prefault({});

/**
 * The ops listener every service has of its own: /metrics, /healthz, /readyz. Loopback by
 * default, so a host running the server does not offer its metrics to the network; deployments
 * that are scraped or probed from another container or pod set host 0.0.0.0 explicitly.
 */
const ops = (defaultPort: number) =>
  z
    .object({
      host: z.string().min(1).default("127.0.0.1"),
      /** 0 picks a free port. */
      port: port.default(defaultPort),
    })
    .strict()
    .prefault({});

const tls = z
  .object({
    /** Refuse to authenticate a c2s stream before STARTTLS. Switch off only for tests and benchmarks. */
    required: z.boolean().default(true),
    /** PEM files; when both are absent a self-signed certificate is generated in dataDir. */
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    /** More certificates, each presented for the domains its subjectAltName names (SNI, or the stream's domain for STARTTLS). */
    certificates: z.array(z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).strict()).default([]),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    /** Domains served by this cluster; the first is the default. */
    domains: z.array(z.string().min(1)).min(1).default(["localhost"]),
    /** Cluster name: prefix of bus subjects, Redis keys and the JetStream stream. */
    cluster: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,30}$/, "lowercase letters, digits, - and _").default("xmpp"),
    /** Directory for PGlite data and generated certificates (embedded mode). */
    dataDir: z.string().default("./data"),
    log: z.object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") }).strict().prefault({}),
    nats: z
      .object({
        url: z.string().optional(),
        /** This process's NATS nkey seed (a file holding `SU...`): its identity on the bus. */
        seedFile: z.string().optional(),
        /** CA certificate that signed the NATS server's: the bus is then TLS, verified. */
        caFile: z.string().optional(),
      })
      .strict()
      .prefault({}),
    redis: z.object({ url: z.string().optional(), keyPrefix: z.string().optional() }).strict().prefault({}),
    database: z.object({ url: z.string().optional() }).strict().prefault({}),
    heartbeat: z
      .object({
        /** How often gateways and routers announce themselves. */
        intervalMs: ms.default(1000),
        /** A peer silent for this long is dead: routers fail over, gateway sessions are removed. */
        deadAfterMs: ms.default(3000),
      })
      .strict()
      .prefault({}),
    gateway: z
      .object({
        /**
         * The gateway's identity on the bus: its NATS credentials are issued for this name, and
         * it may publish and subscribe only as this name (docs/security.md). Each process adds
         * a random suffix for its id. Several processes may share a name; they then share trust.
         */
        name: z
          .string()
          .regex(/^[a-z0-9][a-z0-9_-]{0,49}$/, "lowercase letters, digits, - and _, at most 50")
          .refine((v) => !/-[0-9a-f]{12}$/.test(v), "must not end in - and 12 hex digits (that is a process id)")
          .default("gateway"),
        /** Address of the public listeners (c2s, direct TLS, HTTP, HTTPS); not of gateway.ops. */
        host: z.string().default("0.0.0.0"),
        c2sPort: port.default(5222),
        /** Direct TLS c2s port (XEP-0368); 0 picks a free one. */
        tlsPort: port.default(5223),
        /** WebSocket, BOSH and host-meta only: /metrics and the probes are on gateway.ops. */
        httpPort: port.default(5280),
        /** HTTPS port: WebSocket (wss://) and BOSH over TLS, with the direct TLS certificate; 0 picks a free one. */
        httpsPort: port.default(5281),
        tls,
        websocket: z
          .object({
            /** An ingress in front terminates TLS (wss://) for the HTTP port, so ws:// streams count as secure. */
            tlsTerminatedByProxy: z.boolean().default(false),
            /** On SIGTERM, WebSocket clients are sent <close see-other-uri/> with this ws:// or wss:// URL (RFC 7395 §3.6.1). */
            seeOtherUri: z.string().regex(/^wss?:\/\/[^\s"'<>&]+$/, "a ws:// or wss:// URL").optional(),
          })
          .strict()
          .prefault({}),
        /** BOSH on the HTTP port, /http-bind (XEP-0124, XEP-0206). */
        bosh: z
          .object({
            /** Longest time a request is held before an empty answer (the client may ask for less). */
            maxWaitSeconds: positive.default(60),
            /** A session with no request open for this long is closed like a dropped connection. */
            inactivitySeconds: positive.default(60),
            /** Longest pause a client may ask for (XEP-0124 §12). */
            maxPauseSeconds: positive.default(120),
          })
          .strict()
          .prefault({}),
        limits,
        /** Idle time (nothing received) before the server pings a client (XEP-0199), and the time it then has to answer. */
        pingIntervalMs: ms.default(60_000),
        /** Grace period for open connections on SIGTERM. */
        drainMs: ms.default(5000),
        /** XEP-0198 stream management (docs/stream-management.md). */
        streamManagement: z
          .object({
            enabled: z.boolean().default(true),
            /** How long a resumable session waits for its client after the connection is lost (advertised as max). */
            resumeTimeoutSeconds: positive.default(300),
          })
          .strict()
          .prefault({}),
        /** On SIGTERM, TCP clients are sent <see-other-host/> with this host[:port]; without it, <system-shutdown/>. */
        seeOtherHost: z.string().min(1).optional(),
        ops: ops(5289),
      })
      .strict()
      .prefault({}),
    router: z
      .object({
        id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).optional(),
        ops: ops(5290),
      })
      .strict()
      .prefault({}),
    amp: z
      .object({
        ops: ops(5291),
        /** A separate database for offline storage (like Tigase's --amp-repo-uri); default: database.url. */
        databaseUrl: z.string().optional(),
        /**
         * XEP-0079 §9 (DP-11): which alert/error/notify rules a sender may use. strict: only senders
         * authorised to see the recipient's presence; performance: nobody; none: everybody.
         */
        security: securityLevel.default("strict"),
        /** Per-domain override of amp.security, keyed by a served domain. */
        domainSecurity: z.record(z.string(), securityLevel).default({}),
        /**
         * Ordered partitions of the work queue: an account's work goes to one partition, which one
         * worker at a time takes, in order, in batches (invariant 2); the workers share the
         * partitions, so more workers than partitions idle. Same value on every router and worker.
         */
        partitions: positive.max(1024).default(32),
        /**
         * Bound of the work stream (JetStream max_msgs / max_bytes, discard "new"): past it a
         * router bounces the message with resource-constraint (docs/bounds.md). JetStream reserves
         * maxBytes of its storage when it creates the stream.
         */
        queue: z
          .object({
            maxMessages: positive.default(1_000_000),
            maxBytes: positive.default(1024 * 1024 * 1024),
          })
          .strict()
          .prefault({}),
        /** Work a worker took and did not finish (it died) goes to another worker after this long. */
        ackWaitMs: ms.min(1000).default(30_000),
        /** How often each worker looks for expire-at rules that are due (DP-21: fired within ~1 s). */
        expiryIntervalMs: ms.max(1000).default(250),
      })
      .strict()
      .prefault({}),
    offline: z
      .object({
        enabled: z.boolean().default(true),
        /** Stored messages per recipient. */
        quota: z.number().int().min(0).default(100),
      })
      .strict()
      .prefault({}),
    sasl: z
      .object({
        /**
         * Mechanisms offered by gateways and accepted by routers, in order of preference. The
         * -PLUS ones are offered only on TLS streams; they are not in the default because some
         * clients (slixmpp 1.8) then insist on tls-unique, which is not offered (RFC 9266 §1).
         */
        mechanisms: z
          .array(z.enum(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]))
          .min(1)
          .default(["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]),
        /** Channel-binding types for -PLUS (XEP-0440); tls-exporter needs TLS 1.3 (RFC 9266). */
        channelBindings: z.array(z.enum(["tls-exporter", "tls-server-end-point"])).min(1).default(["tls-exporter", "tls-server-end-point"]),
      })
      .strict()
      .prefault({}),
    /** XEP-0077 in-band registration: new accounts, password changes, cancellation. */
    registration: z
      .object({
        enabled: z.boolean().default(false),
        /** Registration requests accepted per IP per hour (per gateway). */
        maxPerIpPerHour: positive.default(5),
      })
      .strict()
      .prefault({}),
    /** XEP-0078 non-SASL authentication (obsolete; password only, on TLS streams). */
    legacyAuth: z
      .object({ enabled: z.boolean().default(false) })
      .strict()
      .prefault({}),
    /**
     * Authentication limits counted across the cluster in Redis by the routers, per address (from
     * the gateway's "open") and per account (docs/authentication.md). 0 turns a part off.
     */
    auth: z
      .object({
        ban: z
          .object({
            /** Failures of one address in windowSeconds that ban it (ejabberd: c2s_max_auth_failures). */
            maxFailures: z.number().int().min(0).default(20),
            windowSeconds: positive.default(300),
            /** How long a ban lasts (ejabberd: c2s_auth_ban_lifetime). */
            banSeconds: positive.default(900),
          })
          .strict()
          .prefault({}),
        throttle: z
          .object({
            /** The window of an account's failure counts; 0: no per-account throttle. */
            accountWindowSeconds: z.number().int().min(0).default(900),
            /** Failures of one address+account pair answered at once. */
            freeFailures: z.number().int().min(0).default(3),
            /** Delay of the next failure answer of the pair, doubling up to maxDelayMs; 0: none. */
            baseDelayMs: z.number().int().min(0).default(500),
            /** Below the gateway's 10 s negotiation step. */
            maxDelayMs: z.number().int().min(0).max(9000).default(4000),
            /** Failures of an account from all addresses in the window after which only its known addresses may try it; 0: no cap. */
            accountMaxFailures: z.number().int().min(0).default(100),
            /** How long an address that logged in to an account stays known to it; 0: none are. */
            knownAddressDays: z.number().int().min(0).default(30),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * PBKDF2 iterations for new SCRAM credentials; stored ones keep their own count. PLAIN runs one
     * PBKDF2 per login at the credential's stored count, SCRAM none (docs/authentication.md).
     */
    scramIterations: z.number().int().min(4096).default(4096),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type Limits = Config["gateway"]["limits"];
