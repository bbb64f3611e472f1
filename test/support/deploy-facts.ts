// What the deployment files are checked against: the services, their default ports from the
// config schema, and the commands the image can run.
import { configSchema } from "@xmppd/config";
import { entryFile, existsInRepo, readText } from "./deploy-checks.ts";

export const defaults = configSchema.parse({});
/** Our services and the HTTP port (/healthz, /readyz, /metrics) each listens on by default. */
export const HTTP_PORT: Record<string, number> = {
  "connection-gateway": defaults.gateway.httpPort,
  "session-router": defaults.router.httpPort,
  "amp-worker": defaults.amp.httpPort,
};
export const OURS = Object.keys(HTTP_PORT);
export const ENTRY: Record<string, string> = Object.fromEntries(OURS.map((name) => [name, `services/${name}/src/main.ts`]));
/** Direct TLS (XEP-0368): gateway.tlsPort once the config has that key, else the usual 5223. */
export const TLS_PORT = (defaults.gateway as { tlsPort?: number }).tlsPort ?? 5223;
/** c2s (STARTTLS), direct TLS, HTTP (WebSocket /xmpp-websocket and /metrics), HTTPS (wss://, BOSH over TLS). */
export const GATEWAY_PORTS = [defaults.gateway.c2sPort, TLS_PORT, defaults.gateway.httpPort, defaults.gateway.httpsPort];

const rootPackage = JSON.parse(readText("package.json")) as { dependencies?: Record<string, string> };

/** Problems with a command the image runs: its entry file, and tsx surviving `npm ci --omit=dev`. */
export function commandProblems(command: unknown): string[] {
  if (!Array.isArray(command)) return [`command is not an exec-form list: ${JSON.stringify(command)}`];
  const entry = entryFile(command as string[]);
  if (entry === undefined) return [`no entry file in ${JSON.stringify(command)}`];
  const problems = existsInRepo(entry) ? [] : [`entry file ${entry} does not exist`];
  const usesTsx = command.some((arg, i) => arg === "tsx" && command[i - 1] === "--import");
  if (usesTsx && !rootPackage.dependencies?.tsx) problems.push("--import tsx but tsx is not a production dependency");
  return problems;
}
