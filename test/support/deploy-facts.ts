// What the deployment files are checked against: the services, their default ports from the
// config schema, and the commands the image can run.
import { configSchema, type Config } from "@xmppd/config";
import { distFile, sourceOfDist } from "../../scripts/build.ts";
import { entryFile, existsInRepo, readText } from "./deploy-checks.ts";

export const defaults = configSchema.parse({});
const OPS_SECTION = { "connection-gateway": "gateway", "session-router": "router", "amp-worker": "amp" } as const;
/** Our services. */
export const OURS = Object.keys(OPS_SECTION);

/** A service's ops listener (/healthz, /readyz, /metrics) in a config: `<section>.ops`. */
export function opsOf(service: string, config: Config): { host: string; port: number } {
  const section = OPS_SECTION[service as keyof typeof OPS_SECTION];
  if (section === undefined) throw new Error(`${service} is not one of our services`);
  return config[section].ops;
}

/** Each service's default ops port. */
export const OPS_PORT: Record<string, number> = Object.fromEntries(OURS.map((name) => [name, opsOf(name, defaults).port]));

/** Whether an ops host answers only inside its own container or pod. */
export function isLoopback(host: string): boolean {
  return /^127\./.test(host) || host === "::1" || host === "localhost";
}

/** What each service runs in the image: its bundle, which `npm run build` (scripts/build.ts) makes from services/<name>/src/main.ts. */
export const ENTRY: Record<string, string> = {
  "connection-gateway": distFile("gateway"),
  "session-router": distFile("router"),
  "amp-worker": distFile("amp-worker"),
};
/** Direct TLS (XEP-0368): gateway.tlsPort once the config has that key, else the usual 5223. */
export const TLS_PORT = (defaults.gateway as { tlsPort?: number }).tlsPort ?? 5223;
/** The public ports: c2s (STARTTLS), direct TLS, HTTP (WebSocket, BOSH; no /metrics), HTTPS (wss://, BOSH over TLS). */
export const GATEWAY_PORTS = [defaults.gateway.c2sPort, TLS_PORT, defaults.gateway.httpPort, defaults.gateway.httpsPort];
/** The gateway's public HTTP port (WebSocket, BOSH), the one a TLS-terminating ingress forwards to. */
export const GATEWAY_HTTP_PORT = defaults.gateway.httpPort;

const rootPackage = JSON.parse(readText("package.json")) as { dependencies?: Record<string, string> };

/**
 * Problems with a command the image runs: its entry file (a bundle of dist/, which the image
 * builds, made from a source that exists; or a file of the repository), and tsx surviving
 * `npm ci --omit=dev`.
 */
export function commandProblems(command: unknown): string[] {
  if (!Array.isArray(command)) return [`command is not an exec-form list: ${JSON.stringify(command)}`];
  const entry = entryFile(command as string[]);
  if (entry === undefined) return [`no entry file in ${JSON.stringify(command)}`];
  const source = entry.startsWith("dist/") ? sourceOfDist(entry) : entry;
  const problems = source === undefined ? [`${entry} is not a bundle npm run build makes`] : existsInRepo(source) ? [] : [`entry file ${source} does not exist`];
  const usesTsx = command.some((arg, i) => arg === "tsx" && command[i - 1] === "--import");
  if (usesTsx && !rootPackage.dependencies?.tsx) problems.push("--import tsx but tsx is not a production dependency");
  return problems;
}
