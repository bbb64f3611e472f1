// Rules that involve more than one key or more than a type, checked on the merged raw input
// (file + env, defaults filled in) so they are reported together with the schema's problems.
import { createRequire } from "node:module";
import { configSchema } from "./schema.ts";
import { showValue, type ConfigIssue } from "./issue.ts";
import { valueAt } from "./zod-issues.ts";

const defaults = configSchema.parse({});

function pick(raw: unknown, at: (string | number)[], fallback: unknown): unknown {
  const value = valueAt(raw, at);
  return value === undefined ? fallback : value;
}

function tlsPair(raw: unknown): ConfigIssue[] {
  const cert = valueAt(raw, ["gateway", "tls", "certFile"]);
  const key = valueAt(raw, ["gateway", "tls", "keyFile"]);
  if ((cert === undefined) === (key === undefined)) return [];
  const [missing, present] = cert === undefined ? ["certFile", "keyFile"] : ["keyFile", "certFile"];
  return [{
    at: ["gateway", "tls", missing],
    problem: `missing while gateway.tls.${present} is set`,
    fix: "set both certFile and keyFile, or neither to use a generated self-signed certificate",
    also: [["gateway", "tls", present]],
  }];
}

// A name of letters, digits and hyphens (no hyphen first or last in a label, no "--" in positions
// 3-4, so no A-labels; labels of 1..63) that UTS #46 would only lower-case. tr46 builds its
// Unicode mapping table when loaded (about 1 MiB of heap kept by every process), so it is loaded
// only for other names.
const LDH_LABEL = "(?![a-z0-9]{2}--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const LDH_NAME = new RegExp(`^${LDH_LABEL}(?:\\.${LDH_LABEL})*$`, "i");
const require = createRequire(import.meta.url);
let tr46: typeof import("tr46") | undefined;

/** RFC 7622 §3.2: a domainpart is a DNS name (IDNs allowed, checked as UTS #46 / IDNA2008 would). */
export function isDomainName(text: string): boolean {
  if (text.endsWith(".")) return false; // RFC 7622 §3.2: the trailing dot is not part of the domainpart
  if (text.length <= 253 && LDH_NAME.test(text)) return true;
  tr46 ??= require("tr46") as typeof import("tr46");
  const ascii = tr46.toASCII(text, { checkHyphens: true, checkBidi: true, checkJoiners: true, useSTD3ASCIIRules: true, verifyDNSLength: true });
  return ascii !== null && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(ascii);
}

function domainNames(raw: unknown): ConfigIssue[] {
  const domains = valueAt(raw, ["domains"]);
  if (!Array.isArray(domains)) return [];
  const seen = new Map<string, number>();
  return domains.flatMap((domain, index): ConfigIssue[] => {
    if (typeof domain !== "string" || domain === "") return []; // the schema reports these
    if (!isDomainName(domain)) {
      return [{ at: ["domains", index], problem: `${showValue(domain)} is not a valid domain name`, fix: "use a DNS name such as example.com" }];
    }
    const key = domain.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) return [{ at: ["domains", index], problem: `duplicate of domains[${first}]`, fix: "list each domain once" }];
    seen.set(key, index);
    return [];
  });
}

function heartbeat(raw: unknown): ConfigIssue[] {
  const interval = pick(raw, ["heartbeat", "intervalMs"], defaults.heartbeat.intervalMs);
  const dead = pick(raw, ["heartbeat", "deadAfterMs"], defaults.heartbeat.deadAfterMs);
  if (typeof interval !== "number" || typeof dead !== "number" || dead > interval) return [];
  return [{
    at: ["heartbeat", "deadAfterMs"],
    problem: `must be greater than heartbeat.intervalMs (${interval}), got ${dead}`,
    fix: "allow a few missed beats, e.g. 3 x intervalMs",
    also: [["heartbeat", "intervalMs"]],
  }];
}

/** amp.domainSecurity may only name served domains: an override for another one would never apply. */
function ampDomains(raw: unknown): ConfigIssue[] {
  const overrides = valueAt(raw, ["amp", "domainSecurity"]);
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) return [];
  const domains = pick(raw, ["domains"], defaults.domains);
  const served = new Set(Array.isArray(domains) ? domains.map((d) => String(d).toLowerCase()) : []);
  return Object.keys(overrides)
    .filter((d) => !served.has(d.toLowerCase()))
    .map((d) => ({ at: ["amp", "domainSecurity", d], problem: `${showValue(d)} is not one of the served domains`, fix: "use a domain listed in domains", also: [["domains"]] }));
}

/**
 * The gateway's ops port must not be one of its public ports: one process binds them all, and
 * the ops endpoints must never be reachable where clients are (docs/security.md).
 */
function gatewayOpsPort(raw: unknown): ConfigIssue[] {
  const opsPort = pick(raw, ["gateway", "ops", "port"], defaults.gateway.ops.port);
  if (typeof opsPort !== "number" || opsPort === 0) return [];
  const publicKeys = ["c2sPort", "tlsPort", "httpPort", "httpsPort"] as const;
  const clash = publicKeys.find((key) => pick(raw, ["gateway", key], defaults.gateway[key]) === opsPort);
  if (clash === undefined) return [];
  return [{
    at: ["gateway", "ops", "port"],
    problem: `${opsPort} is also gateway.${clash}, a public port`,
    fix: "give the ops endpoints a port of their own (default 5289)",
    also: [["gateway", clash]],
  }];
}

export function crossChecks(raw: unknown): ConfigIssue[] {
  return [...tlsPair(raw), ...domainNames(raw), ...heartbeat(raw), ...ampDomains(raw), ...gatewayOpsPort(raw)];
}
