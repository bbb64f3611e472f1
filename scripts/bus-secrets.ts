// `npm run bus-secrets -- --out deploy/secrets/nats`: the credentials of a deployment's bus.
// Writes the CA (or uses --ca-cert/--ca-key of the operator's own), the NATS server's
// certificate for --hosts, one nkey seed per identity (router, amp-worker, admin and each gateway
// of --gateways) and nkeys.conf, the public keys the generated server configs include
// (scripts/bus-config.ts). Mount each seed only into its own service (docs/security.md).
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { writeBusSecrets } from "@xmppd/bus-credentials";

const list = (text: string) => text.split(",").map((s) => s.trim()).filter((s) => s !== "");

const opts = new Command("bus-secrets")
  .description("Issue the NATS TLS certificate and one nkey identity per service and gateway")
  .option("--out <dir>", "directory to write (created, mode 0700)", "deploy/secrets/nats")
  .option("--gateways <names>", "gateway names (config gateway.name), comma-separated", "gw1,gw2")
  .option("--hosts <names>", "names and addresses clients use for NATS, comma-separated", "nats,nats.xmppd-private.svc,nats.xmppd-private.svc.cluster.local,localhost,127.0.0.1")
  .option("--ca-cert <file>", "the operator's CA certificate (PEM); default: a new CA")
  .option("--ca-key <file>", "its private key (PEM)")
  .parse()
  .opts<{ out: string; gateways: string; hosts: string; caCert?: string; caKey?: string }>();

if ((opts.caCert === undefined) !== (opts.caKey === undefined)) {
  console.error("bus-secrets: give both --ca-cert and --ca-key, or neither for a new CA");
  process.exit(2);
}
const ca = opts.caCert && opts.caKey ? { cert: readFileSync(opts.caCert, "utf8"), key: readFileSync(opts.caKey, "utf8") } : undefined;
const secrets = await writeBusSecrets(opts.out, { gateways: list(opts.gateways), hosts: list(opts.hosts), ca });
console.log(`wrote ${secrets.dir}: ca.pem, nats-server.pem, nats-server-key.pem, nkeys.conf and ${secrets.users().length} seeds`);
for (const user of secrets.users()) console.log(`  ${secrets.seedFile(user)}  ${user.nkey}`);
