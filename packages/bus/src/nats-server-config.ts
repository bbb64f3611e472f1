// Renders a nats-server configuration from the permissions table (permissions.ts): TLS on the
// client port, JetStream, and one nkey user per bus identity. No user means no connection: an
// anonymous client is refused. The same function writes the committed deploy configs (with the
// public keys as variables from an included file) and the throwaway configs of tests.
import { busPermissions, identityLabel, type BusIdentity } from "./permissions.ts";
import type { Subjects } from "./subjects.ts";

export interface NatsUser extends BusIdentity {
  /** The identity's public nkey (`U...`), or `$NAME` of a variable defined in an included file. */
  nkey: string;
}

export interface NatsServerConfigOptions {
  subjects: Subjects;
  users: readonly NatsUser[];
  /** `host:port` of the client port. */
  listen: string;
  /** `host:port` of the monitoring endpoint (/healthz, /jsz for KEDA); omitted: none. */
  httpListen?: string;
  jetstreamDir: string;
  tls: { certFile: string; keyFile: string };
  /** Files included before the users, e.g. the one defining the nkey variables. */
  includes?: readonly string[];
  /** A comment at the top. */
  header?: string;
}

export function renderNatsServerConfig(o: NatsServerConfigOptions): string {
  const lines: string[] = [];
  if (o.header) lines.push(...o.header.split("\n").map((l) => `# ${l}`.trimEnd()), "");
  for (const file of o.includes ?? []) lines.push(`include ${quote(file)}`);
  lines.push(`listen: ${quote(o.listen)}`);
  if (o.httpListen !== undefined) lines.push(`http: ${quote(o.httpListen)}`);
  lines.push(`jetstream { store_dir: ${quote(o.jetstreamDir)} }`);
  // Every client connection is TLS; the server's certificate is what clients verify (nats.caFile).
  lines.push(`tls { cert_file: ${quote(o.tls.certFile)}, key_file: ${quote(o.tls.keyFile)}, timeout: 5 }`);
  lines.push("authorization {", "  users: [");
  for (const user of o.users) {
    const perms = busPermissions(o.subjects, user);
    lines.push(
      `    # ${identityLabel(user)}`,
      `    { nkey: ${user.nkey.startsWith("$") ? user.nkey : quote(user.nkey)}, permissions: {`,
      `        publish: { allow: ${list(perms.publish)} }`,
      `        subscribe: { allow: ${list(perms.subscribe)} }`,
      "    } }",
    );
  }
  lines.push("  ]", "}", "");
  return lines.join("\n");
}

/** The variable a deploy config uses for an identity's public nkey: XMPPD_NKEY_GATEWAY_A, ... */
export function nkeyVariable(who: BusIdentity): string {
  return `XMPPD_NKEY_${identityLabel(who).replace(/^gateway:/, "gateway_").replace(/[^a-zA-Z0-9]/g, "_").toUpperCase()}`;
}

function list(subjects: readonly string[]): string {
  return `[${subjects.map(quote).join(", ")}]`;
}

function quote(s: string): string {
  return JSON.stringify(s);
}
