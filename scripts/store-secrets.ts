// `npm run store-secrets -- --out deploy/secrets/stores`: the Postgres and Redis credentials of
// the docker-compose deployment (docs/least-privilege.md), as files mounted as compose secrets:
// the owner's password and URL (Postgres and the setup job only), each service role's password
// (for `admin grant`) and URL (for that service only), and the Redis ACL file with the routers'
// and AMP workers' users (admin redis-acl --print) and a password for the default user.
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { redisAclFileLine } from "@xmppd/storage";

const opts = new Command("store-secrets")
  .description("Issue the Postgres and Redis credentials of the docker-compose deployment")
  .option("--out <dir>", "directory to write (created, mode 0700)", "deploy/secrets/stores")
  .option("--cluster <name>", "cluster name (the Redis key prefix is <name>:)", "xmpp")
  .parse()
  .opts<{ out: string; cluster: string }>();

// URL-safe: the passwords go into URLs as they are.
const password = () => randomBytes(24).toString("base64url");
const owner = password();
const router = { db: password(), redis: password() };
const amp = { db: password(), redis: password() };
const admin = password();
const prefix = `${opts.cluster}:`;

const files: Record<string, string> = {
  "postgres-password": owner,
  "postgres-owner-url": `postgres://xmppd:${owner}@postgres:5432/xmppd`,
  "router-db-password": router.db,
  "amp-db-password": amp.db,
  "router-database-url": `postgres://xmppd_router:${router.db}@postgres:5432/xmppd`,
  "amp-database-url": `postgres://xmppd_amp:${amp.db}@postgres:5432/xmppd`,
  "router-redis-url": `redis://xmppd-router:${router.redis}@redis:6379`,
  "amp-redis-url": `redis://xmppd-amp:${amp.redis}@redis:6379`,
  "redis-admin-password": admin,
  "redis-users.acl": [
    // The default user is the operator's (admin CLI, healthcheck), behind a password.
    `user default on #${createHash("sha256").update(admin).digest("hex")} ~* &* +@all`,
    redisAclFileLine("xmppd-router", router.redis, "router", prefix),
    redisAclFileLine("xmppd-amp", amp.redis, "ampWorker", prefix),
  ].join("\n"),
};

// As in @xmppd/bus-credentials: the 0700 directory guards the host; compose mounts each file
// with its host mode into containers that run as their own users.
await mkdir(opts.out, { recursive: true, mode: 0o700 });
await chmod(opts.out, 0o700);
for (const [name, text] of Object.entries(files)) await writeFile(join(opts.out, name), `${text}\n`, { mode: 0o644 });
console.log(`wrote ${Object.keys(files).length} files to ${opts.out}`);
