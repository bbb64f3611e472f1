// `npm run cluster -- --gateways 2 --routers 2 --amp-workers 3`: the docker-compose topology as
// plain processes on this machine, against local Redis and Postgres and a NATS server of its own,
// secured as in production (TLS with a throwaway CA, one nkey identity per kind and per gateway:
// docs/security.md). By default it makes a throwaway database and cluster name and removes the
// database on exit; --database-url and --cluster reuse given ones (kept on exit). Stops every
// child, and its NATS server, on Ctrl-C or SIGTERM.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { createPgClient, migrate } from "@xmppd/storage";
import { ensureServices, startSecureNats, tempDatabase, uniqueId } from "@xmppd/testkit";
import { clusterEnv, createProcessSet, type Kind, type Proc } from "./cluster/processes.ts";
import { createServiceAccounts } from "./cluster/service-accounts.ts";

interface Options {
  gateways: number;
  routers: number;
  ampWorkers: number;
  cluster?: string;
  domain: string;
  redisUrl?: string;
  databaseUrl?: string;
  tlsOptional?: boolean;
}

const count = (min: number) => (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > 64) throw new InvalidArgumentError(`expected an integer from ${min} to 64`);
  return n;
};

const opts = new Command("cluster")
  .description("Run gateways, routers and AMP workers as local processes against NATS, Redis and Postgres")
  .option("--gateways <n>", "connection gateways", count(1), 1)
  .option("--routers <n>", "session routers", count(1), 1)
  .option("--amp-workers <n>", "AMP workers", count(1), 1)
  .option("--cluster <name>", "cluster name (bus subjects, Redis keys, JetStream stream); default: a fresh one")
  .option("--domain <domain>", "XMPP domain served", "localhost")
  .option("--redis-url <url>", "Redis server (default redis://127.0.0.1:6379)")
  .option("--database-url <url>", "Postgres database to use and keep (default: a throwaway one, dropped on exit)")
  .option("--tls-optional", "let clients authenticate without STARTTLS (gateway.tls.required=false)")
  .parse()
  .opts<Options>();

const local = opts.redisUrl && opts.databaseUrl ? undefined : await ensureServices();
const cluster = opts.cluster ?? uniqueId("dev");
const nats = await startSecureNats({ cluster, gateways: Array.from({ length: opts.gateways }, (_, i) => `gw${i + 1}`) });
const db = opts.databaseUrl ? undefined : await tempDatabase();
const databaseUrl = opts.databaseUrl ?? (db?.url as string);
const dir = mkdtempSync(join(tmpdir(), `xmppd-${cluster}-`));
const env = {
  ...(process.env as Record<string, string>),
  ...clusterEnv({
    natsUrl: nats.url,
    redisUrl: opts.redisUrl ?? (local?.redisUrl as string),
    databaseUrl,
    cluster,
    dir,
    domain: opts.domain,
    tlsRequired: !opts.tlsOptional,
  }),
};
// Migrate once up front so that several processes starting together do not race on it.
const sql = await createPgClient({ url: databaseUrl });
await migrate(sql, "core");
await migrate(sql, "amp");
await sql.close();
// Routers and AMP workers get roles and Redis users of their own, as in production (docs/least-privilege.md).
const accounts = await createServiceAccounts({ databaseUrl, redisUrl: env.REDIS_URL as string, keyPrefix: `${cluster}:`, suffix: cluster });

const set = createProcessSet({
  cluster, dir, env, kindEnv: accounts.kindEnv,
  busEnv: (kind: Kind, gateway: string | undefined) => nats.processEnv(kind === "amp" ? "amp-worker" : "router", gateway),
});
let stopping: Promise<void> | undefined;
const stop = (why: string): Promise<void> => {
  stopping ??= (async () => {
    console.log(`\n${why}: stopping ${set.procs.filter((p) => p.child.exitCode === null).length} processes`);
    await set.stopAll(10_000);
    // One may have been spawned while the first pass ran (a start in progress).
    await set.stopAll(10_000);
    await accounts.drop();
    await db?.drop();
    await nats.stop();
    console.log("stopped");
  })();
  return stopping;
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`stopping failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  });
}

try {
  // A signal during start-up ends the loop: nothing is started after stop() took its list.
  const kinds: Kind[] = [...Array<Kind>(opts.routers).fill("router"), ...Array<Kind>(opts.ampWorkers).fill("amp"), ...Array<Kind>(opts.gateways).fill("gateway")];
  for (const kind of kinds) {
    if (stopping) break;
    watch(await set.start(kind));
  }
  if (stopping) await new Promise(() => {});
} catch (err) {
  console.error((err as Error).message);
  await stop("start-up failed");
  process.exit(1);
}
printSummary();

/** A child that dies on its own is reported, with where to read why; the rest keep running. */
function watch(proc: Proc): void {
  void proc.exited.then((code) => {
    if (!stopping) console.error(`${proc.name} (pid ${proc.child.pid}) exited with ${code ?? proc.child.signalCode}; log: ${proc.logFile}`);
  });
}

function printSummary(): void {
  const rows = set.procs.map((p) => {
    const c2s = p.kind === "gateway" ? `c2s 127.0.0.1:${p.c2sPort}  tls 127.0.0.1:${p.tlsPort}  ws ws://127.0.0.1:${p.httpPort}/xmpp-websocket  wss wss://127.0.0.1:${p.httpsPort}/xmpp-websocket  ` : "";
    return `  ${p.name.padEnd(10)} pid ${String(p.child.pid).padEnd(8)} ${c2s}ops http://127.0.0.1:${p.opsPort}/metrics`;
  });
  console.log([
    `cluster ${cluster}, domain ${opts.domain}, database ${databaseUrl}${db ? " (dropped on exit)" : ""}`,
    ...rows,
    `logs in ${dir}`,
    `routers run as Postgres role ${accounts.roles.router} and Redis user ${accounts.redisUsers.router}, AMP workers as ${accounts.roles.ampWorker} and ${accounts.redisUsers.ampWorker} (removed on exit)`,
    "for the admin CLI (npm run admin -- register alice localhost secret; sessions; stats):",
    `  export NATS_URL=${nats.url} XMPPD__nats__caFile=${nats.caFile} XMPPD__nats__seedFile=${nats.secrets.seedFile({ role: "admin" })} REDIS_URL=${env.REDIS_URL} DATABASE_URL=${databaseUrl} XMPPD__cluster=${cluster} XMPPD__domains='${env.XMPPD__domains}'`,
    "ready; Ctrl-C stops every process",
  ].join("\n"));
}
