// The admin command line (in the style of prosodyctl / ejabberdctl). Exit codes: 0 ok,
// 1 operational error (one line on stderr), 2 usage error. Tables for people, --json for scripts.
import { Command, CommanderError } from "commander";
import { addAccountCommands } from "./account-commands.ts";
import { addAmpCommands } from "./amp-commands.ts";
import { addClusterCommands } from "./cluster-commands.ts";
import type { ClusterOps } from "./cluster-ops.ts";
import { AdminError } from "./ops.ts";
import { addPrivilegeCommands } from "./privilege-commands.ts";
import type { AdminOps } from "./ops.ts";
import type { ProgressSink } from "./progress.ts";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Opens the backend lazily, after the arguments are known to be valid. */
  open(): Promise<AdminOps>;
  /** Opens the running cluster's servers (NATS, Redis, Postgres) lazily. */
  openCluster?(): Promise<ClusterOps>;
  /** Environment for check-config; the loader reads process.env when absent. */
  env?: Record<string, string | undefined>;
  /** A password not given as an argument: prompted for, or read from stdin (password-input.ts). */
  password?(): Promise<string>;
  /** Where long commands draw their progress (stderr); none when absent. */
  progress?: ProgressSink;
}

export interface Backends {
  ops(): Promise<AdminOps>;
  cluster(): Promise<ClusterOps>;
}

/** What a command prints; `code` 1 with `error` for a command that ran but did not fully succeed. */
export type Outcome = string | { text: string; code: 1; error: string };
export type Action = (backends: Backends, json: boolean) => Promise<Outcome>;
export type Select = (action: Action) => void;

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
  let ops: Promise<AdminOps> | undefined;
  let cluster: Promise<ClusterOps> | undefined;
  const backends: Backends = {
    ops: () => (ops ??= io.open()),
    cluster: () => (cluster ??= io.openCluster?.() ?? Promise.reject(new AdminError("cluster operations are not available here", "unavailable"))),
  };
  try {
    const outcome = await action(backends, json);
    if (typeof outcome === "string") {
      io.out(outcome);
      return 0;
    }
    io.out(outcome.text);
    io.err(`xmppd-admin: ${outcome.error}`);
    return outcome.code;
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n").join("; ") : String(err);
    if (json) io.out(JSON.stringify({ ok: false, error: { code: err instanceof AdminError ? err.code : "error", message } }));
    io.err(`xmppd-admin: ${message}`);
    return 1;
  } finally {
    await Promise.all([
      ops?.then((o) => o.close(), () => {}).catch(() => {}),
      cluster?.then((c) => c.close(), () => {}).catch(() => {}),
    ]);
  }
}

function buildProgram(io: CliIo, select: Select): Command {
  const program = new Command("xmppd-admin")
    .description("Administer an xmppd cluster: accounts, sessions, the AMP queue, the database and the configuration")
    .option("--json", "machine-readable JSON output")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError();
  addAccountCommands(program, select, io);
  addAmpCommands(program, select);
  addClusterCommands(program, select, io);
  addPrivilegeCommands(program, select);
  return program;
}
