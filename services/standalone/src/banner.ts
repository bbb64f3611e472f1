// The first thing a person trying the server reads: how to make an account and connect.
import type { Config } from "@xmppd/config";

export function banner(config: Config, c2sPort: number, mode: string): string {
  const host = config.gateway.host === "0.0.0.0" || config.gateway.host === "::" ? "localhost" : config.gateway.host;
  const domain = config.domains[0] ?? "localhost";
  return [
    "",
    `xmppd is running (${mode}).`,
    "",
    "Create a user (in another terminal):",
    `  npm run admin -- register alice ${domain} secret`,
    "",
    "Connect an XMPP client:",
    `  JID:      alice@${domain}   password: secret`,
    `  server:   ${host}, port ${c2sPort}`,
    "  security: STARTTLS with a self-signed certificate (accept it in your client)",
    `  domain:   ${domain}`,
    "",
    "Stop with Ctrl-C.",
    // npm passes SIGINT and SIGTERM on to the server, not SIGHUP: it goes to the server's own pid.
    `Reload the certificate and log level: kill -HUP ${process.pid}`,
    "",
  ].join("\n");
}
