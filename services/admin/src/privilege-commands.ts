// grant and redis-acl: least privilege for the private tier (docs/least-privilege.md). Both run
// with the owner's credentials (DATABASE_URL, AMP_DATABASE_URL; REDIS_URL of an ACL admin) and
// give each service's own role or user exactly what the code needs. Passwords come from files,
// never from the command line (ps shows arguments to everyone on the host).
import type { Command } from "commander";
import type { Select } from "./cli.ts";
import { table } from "./format.ts";
import type { GrantReport, RedisAclReport } from "./privilege-ops.ts";

export function addPrivilegeCommands(program: Command, select: Select): void {
  program.command("grant").description("give the router's and the AMP worker's database roles their privileges (after migrate, as the schema owner)")
    .requiredOption("--router-role <name>", "the session routers' Postgres role")
    .requiredOption("--amp-role <name>", "the AMP workers' Postgres role")
    .option("--router-password-file <file>", "create the router's role (or set its password) with the password in this file")
    .option("--amp-password-file <file>", "create the AMP workers' role (or set its password) with the password in this file")
    .action((opts: { routerRole: string; ampRole: string; routerPasswordFile?: string; ampPasswordFile?: string }) =>
      select(async (b, json) => {
        const report = await (await b.cluster()).grant({
          roles: { router: opts.routerRole, ampWorker: opts.ampRole },
          passwordFiles: { router: opts.routerPasswordFile, ampWorker: opts.ampPasswordFile },
        });
        return json ? JSON.stringify({ ok: true, ...report }) : grantText(report);
      }));

  program.command("redis-acl").description("create or replace the router's and the AMP worker's Redis ACL users for this cluster's key prefix")
    .requiredOption("--router-user <name>", "the session routers' Redis user")
    .requiredOption("--router-password-file <file>", "its password, in a file")
    .requiredOption("--amp-user <name>", "the AMP workers' Redis user")
    .requiredOption("--amp-password-file <file>", "its password, in a file")
    .option("--print", "print the users as Redis ACL file lines instead of applying them (no Redis needed)")
    .action((opts: { routerUser: string; routerPasswordFile: string; ampUser: string; ampPasswordFile: string; print?: boolean }) =>
      select(async (b, json) => {
        const report = await (await b.cluster()).redisAcl({
          users: { router: opts.routerUser, ampWorker: opts.ampUser },
          passwordFiles: { router: opts.routerPasswordFile, ampWorker: opts.ampPasswordFile },
          print: opts.print === true,
        });
        if (json) return JSON.stringify({ ok: true, ...report });
        return report.aclFile ? report.aclFile.join("\n") : aclText(report);
      }));
}

function grantText(r: GrantReport): string {
  const rows = r.databases.flatMap((d) => d.schemas.map((schema) => [schema, schema === "amp" ? "-" : r.roles.router, r.roles.ampWorker]));
  const logins = r.logins.map((l) => `login role ${l}`);
  return [...logins, table(["SCHEMA", "ROUTER ROLE", "AMP WORKER ROLE"], rows)].join("\n");
}

function aclText(r: RedisAclReport): string {
  return r.users.map((u) => `${u.user} (${u.service === "router" ? "router" : "AMP worker"}): ${u.rules.join(" ")}`).join("\n") +
    `\nkey prefix ${r.keyPrefix}`;
}
