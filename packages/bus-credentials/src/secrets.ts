// Writes a cluster's bus credentials into one directory: the CA and the NATS server's
// certificate, one nkey seed per identity (only that identity's process gets its file), and
// nkeys.conf, the public keys as the variables the deploy configs use (nats-server-config.ts).
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { identityLabel, nkeyVariable, type BusIdentity, type NatsUser } from "@xmppd/bus";
import { createUser, fromSeed } from "nkeys.js";
import { issueCa, issueServerCert, type PemPair } from "./tls.ts";

export interface BusSecretsOptions {
  /** Gateway names (config gateway.name), one identity each. */
  gateways: readonly string[];
  /** Names and addresses clients use for the NATS server (certificate subjectAltName). */
  hosts: readonly string[];
  /** The operator's CA; absent: a new one is made (and kept as ca.pem / ca-key.pem). */
  ca?: PemPair;
}

export interface BusSecrets {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** `XMPPD_NKEY_<IDENTITY>: "U..."` lines, included by the deploy configs. */
  readonly nkeysFile: string;
  /** Every identity with its public key. */
  users(): NatsUser[];
  seedFile(who: BusIdentity): string;
  /** Issues a seed for one more gateway (tests add gateways as they go). */
  addGateway(name: string): Promise<void>;
}

export const PRIVATE_IDENTITIES: readonly BusIdentity[] = [{ role: "router" }, { role: "amp-worker" }, { role: "admin" }];

/** The seed file's name for an identity: gateway-<name>.nk, router.nk, ... */
export function seedFileName(who: BusIdentity): string {
  return `${identityLabel(who).replace(":", "-")}.nk`;
}

export async function writeBusSecrets(dir: string, o: BusSecretsOptions): Promise<BusSecrets> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const ca = o.ca ?? (await issueCa());
  const server = await issueServerCert(ca, o.hosts);
  const files = { caFile: join(dir, "ca.pem"), serverCertFile: join(dir, "nats-server.pem"), serverKeyFile: join(dir, "nats-server-key.pem"), nkeysFile: join(dir, "nkeys.conf") };
  await writeFile(files.caFile, ca.cert);
  if (!o.ca) await writeSecret(join(dir, "ca-key.pem"), ca.key);
  await writeFile(files.serverCertFile, server.cert);
  await writeSecret(files.serverKeyFile, server.key);
  const users: NatsUser[] = [];
  const add = async (who: BusIdentity) => {
    const pair = createUser();
    await writeSecret(join(dir, seedFileName(who)), `${new TextDecoder().decode(pair.getSeed())}\n`);
    users.push({ ...who, nkey: pair.getPublicKey() });
    await writeFile(files.nkeysFile, users.map((u) => `${nkeyVariable(u)}: "${u.nkey}"\n`).join(""));
  };
  for (const who of PRIVATE_IDENTITIES) await add(who);
  for (const name of o.gateways) await add({ role: "gateway", gateway: name });
  return {
    dir,
    ...files,
    users: () => [...users],
    seedFile: (who) => join(dir, seedFileName(who)),
    async addGateway(name) {
      if (!users.some((u) => u.role === "gateway" && u.gateway === name)) await add({ role: "gateway", gateway: name });
    },
  };
}

/** The public key of a seed file (checks a seed matches the key a config lists). */
export async function publicKeyOf(seedFile: string): Promise<string> {
  return fromSeed(new TextEncoder().encode((await readFile(seedFile, "utf8")).trim())).getPublicKey();
}

// The directory (0700) keeps the files from other users of the host; the files themselves are
// readable (0644) because docker-compose bind-mounts each with its host owner and mode, and the
// containers run as their own users (ours as node, NATS and Redis as theirs).
async function writeSecret(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o644 });
  await chmod(path, 0o644);
}
