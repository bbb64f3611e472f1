// The admin command line (in the style of prosodyctl / ejabberdctl). Exit codes: 0 ok,
// 1 operational error (one line on stderr), 2 usage error.
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { AdminError } from "./ops.ts";
import type { AdminOps } from "./ops.ts";
import { sessionsTable } from "./format.ts";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Opens the backend lazily, after the arguments are known to be valid. */
  open(): Promise<AdminOps>;
}

type Action = (ops: AdminOps, json: boolean) => Promise<string>;

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let action: Action | null = null;
  const program = buildProgram(io, (a) => (action = a));
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  if (!action) return 2;
  return execute(action, program.opts<{ json?: boolean }>().json === true, io);
}

async function execute(action: Action, json: boolean, io: CliIo): Promise<number> {
  let ops: AdminOps | null = null;
  try {
    ops = await io.open();
    io.out(await action(ops, json));
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n").join("; ") : String(err);
    if (json) io.out(JSON.stringify({ ok: false, error: { code: err instanceof AdminError ? err.code : "error", message } }));
    io.err(`xmppd-admin: ${message}`);
    return 1;
  } finally {
    await ops?.close().catch(() => {});
  }
}

function buildProgram(io: CliIo, select: (a: Action) => void): Command {
  const program = new Command("xmppd-admin")
    .description("Administer an xmppd cluster: accounts and sessions")
    .option("--json", "machine-readable JSON output")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError();
  const done = (verb: string, json: boolean, jid: string): string => (json ? JSON.stringify({ ok: true, jid }) : `${verb} ${jid}`);

  program.command("register <user> <domain> <password>").description("create an account")
    .action((user: string, domain: string, password: string) =>
      select(async (ops, json) => done("registered", json, await ops.register(user, domain, password))));
  program.command("unregister <user> <domain>").description("delete an account")
    .action((user: string, domain: string) => select(async (ops, json) => done("unregistered", json, await ops.unregister(user, domain))));
  program.command("passwd <user> <domain> <password>").description("set an account's password")
    .action((user: string, domain: string, password: string) =>
      select(async (ops, json) => done("password changed for", json, await ops.passwd(user, domain, password))));
  program.command("users <domain>").description("list the accounts of a domain")
    .action((domain: string) =>
      select(async (ops, json) => {
        const users = await ops.users(domain);
        return json ? JSON.stringify({ ok: true, domain, users }) : users.join("\n") || `no users in ${domain}`;
      }));
  program.command("sessions").description("list bound sessions")
    .option("--limit <n>", "sessions to show", parseLimit, 100)
    .action((opts: { limit: number }) =>
      select(async (ops, json) => {
        const page = await ops.sessions(opts.limit);
        return json ? JSON.stringify({ ok: true, ...page }) : sessionsTable(page);
      }));
  return program;
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError("expected an integer from 1 to 100000");
  return n;
}
