// The services' own database roles and Redis users (docs/least-privilege.md), made by the owner:
// `grant` after `migrate`, `redis-acl` once per Redis (and again after the code changes them).
import { readFileSync } from "node:fs";
import type { Config } from "@xmppd/config";
import { applyGrants, applyRedisAcl, ensureLoginRole, GrantError, redisAclFileLine, redisAclRules } from "@xmppd/storage";
import type { MigrationSet, RedisAclUser, ServiceRole, SqlClient } from "@xmppd/storage";
import { AdminError } from "./ops.ts";

export interface GrantRequest {
  roles: Record<ServiceRole, string>;
  /** Files holding passwords: the role is created (or its password reset) as a login role. */
  passwordFiles?: Partial<Record<ServiceRole, string>>;
}

export interface GrantReport {
  roles: Record<ServiceRole, string>;
  /** Per database (one, or two when amp has its own), the schemas granted on. */
  databases: { schemas: MigrationSet[] }[];
  /** Roles created or whose password was set, as "<role> created|updated". */
  logins: string[];
}

export interface RedisAclRequest {
  users: Record<ServiceRole, string>;
  passwordFiles: Record<ServiceRole, string>;
  /** Only render the ACL file lines; change nothing. */
  print: boolean;
}

export interface RedisAclReport {
  keyPrefix: string;
  users: { service: ServiceRole; user: string; rules: string[] }[];
  /** ACL file lines (password as SHA-256), when printing. */
  aclFile?: string[];
}

const SERVICES: readonly ServiceRole[] = ["router", "ampWorker"];

/** Runs as the owner: core (and amp, in the same database unless amp has its own). */
export async function grantRoles(core: SqlClient, separateAmp: SqlClient | undefined, req: GrantRequest): Promise<GrantReport> {
  const targets: [SqlClient, MigrationSet[]][] = separateAmp ? [[core, ["core"]], [separateAmp, ["amp"]]] : [[core, ["core", "amp"]]];
  const logins: string[] = [];
  try {
    for (const [sql, schemas] of targets) {
      for (const service of SERVICES) {
        const file = req.passwordFiles?.[service];
        if (file) logins.push(`${req.roles[service]} ${await ensureLoginRole(sql, req.roles[service], readSecret(file))}`);
      }
      await applyGrants(sql, req.roles, schemas);
    }
  } catch (err) {
    if (err instanceof GrantError) throw new AdminError(err.message, "invalid", { cause: err });
    throw err;
  }
  return { roles: req.roles, databases: targets.map(([, schemas]) => ({ schemas })), logins: [...new Set(logins)] };
}

export async function redisAcl(config: Config, req: RedisAclRequest): Promise<RedisAclReport> {
  // The prefix openSessions and openSm use.
  const keyPrefix = config.redis.keyPrefix ?? `${config.cluster}:`;
  const users: RedisAclUser[] = SERVICES.map((service) => ({ service, user: req.users[service], password: readSecret(req.passwordFiles[service]) }));
  if (users[0]!.user === users[1]!.user) throw new AdminError(`the router and the AMP worker need Redis users of their own, both are ${users[0]!.user}`, "invalid");
  const report = { keyPrefix, users: users.map(({ service, user }) => ({ service, user, rules: redisAclRules(service, keyPrefix) })) };
  if (req.print) return { ...report, aclFile: users.map((u) => redisAclFileLine(u.user, u.password, u.service, keyPrefix)) };
  if (!config.redis.url) throw new AdminError("ACL users are made in Redis: set REDIS_URL (a user allowed ACL SETUSER), or use --print", "unavailable");
  await applyRedisAcl(config.redis.url, keyPrefix, users);
  return report;
}

/** A password file's content without the trailing newline (the _FILE convention of the config). */
function readSecret(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8").replace(/[\r\n]+$/, "");
  } catch (err) {
    throw new AdminError(`cannot read password file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, "invalid", { cause: err });
  }
  if (text === "") throw new AdminError(`password file ${path} is empty`, "invalid");
  return text;
}
