// Accounts and sessions: register, unregister, passwd, users, sessions, import-users.
import { readFile } from "node:fs/promises";
import { InvalidArgumentError, type Command } from "commander";
import type { CliIo, Select } from "./cli.ts";
import { sessionsTable } from "./format.ts";
import { importUsers } from "./import-users.ts";
import { AdminError } from "./ops.ts";
import { emptyPassword } from "./password-input.ts";
import { createProgress } from "./progress.ts";

export function addAccountCommands(program: Command, select: Select, io: CliIo): void {
  const done = (verb: string, json: boolean, jid: string): string => (json ? JSON.stringify({ ok: true, jid }) : `${verb} ${jid}`);

  // The password as an argument, else prompted for (twice, without echo) or read from stdin.
  const password = async (given: string | undefined): Promise<string> => {
    if (given === undefined) {
      if (!io.password) throw new AdminError("no password given", "invalid");
      return io.password();
    }
    if (given === "") throw emptyPassword("the argument is empty");
    return given;
  };
  const passwordHelp = "prompted for without echo when omitted (or the first line of standard input when that is not a terminal)";
  program.command("register <user> <domain> [password]").description(`create an account; the password is ${passwordHelp}`)
    .action((user: string, domain: string, given: string | undefined) =>
      select(async (b, json) => {
        const pw = await password(given);
        return done("registered", json, await (await b.ops()).register(user, domain, pw));
      }));
  program.command("unregister <user> <domain>").description("delete an account")
    .action((user: string, domain: string) => select(async (b, json) => done("unregistered", json, await (await b.ops()).unregister(user, domain))));
  program.command("passwd <user> <domain> [password]").description(`set an account's password; the password is ${passwordHelp}`)
    .action((user: string, domain: string, given: string | undefined) =>
      select(async (b, json) => {
        const pw = await password(given);
        return done("password changed for", json, await (await b.ops()).passwd(user, domain, pw));
      }));
  program.command("users <domain>").description("list the accounts of a domain")
    .action((domain: string) =>
      select(async (b, json) => {
        const users = await (await b.ops()).users(domain);
        return json ? JSON.stringify({ ok: true, domain, users }) : users.join("\n") || `no users in ${domain}`;
      }));
  program.command("sessions").description("list bound sessions")
    .option("--limit <n>", "sessions to show", parseLimit, 100)
    .action((opts: { limit: number }) =>
      select(async (b, json) => {
        const page = await (await b.ops()).sessions(opts.limit);
        return json ? JSON.stringify({ ok: true, ...page }) : sessionsTable(page);
      }));
  program.command("import-users <csv>").description("create accounts from a CSV file of username,password rows")
    .option("--domain <domain>", "domain of usernames written without one")
    .action((csv: string, opts: { domain?: string }) =>
      select(async (b, json) => {
        const text = await readFile(csv, "utf8").catch((err: unknown) => {
          throw new AdminError(`cannot read ${csv}: ${(err as Error).message}`, "invalid", { cause: err });
        });
        const ops = await b.ops();
        const result = await importUsers(ops, text, opts.domain, (total) => createProgress(total, io.progress, "processed"));
        const summary = `imported ${result.imported} of ${result.total} rows`;
        const output = json
          ? JSON.stringify({ ok: result.failed.length === 0, ...result })
          : [...result.failed.map((f) => `line ${f.line}: ${f.error}`), summary].join("\n");
        return result.failed.length === 0 ? output : { text: output, code: 1, error: `${result.failed.length} rows not imported` };
      }));
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError("expected an integer from 1 to 100000");
  return n;
}
