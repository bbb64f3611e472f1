// The running cluster: kick, stats, amp-queue, migrate; and check-config, which needs no server.
import type { Command } from "commander";
import type { CliIo, Select } from "./cli.ts";
import { checkConfig, formatProblem } from "./config-check.ts";
import { EMBEDDED_QUEUE } from "./embedded-ops.ts";
import { table } from "./format.ts";

export function addClusterCommands(program: Command, select: Select, io: CliIo): void {
  program.command("kick <jid>").description("close a session (full JID user@domain/resource): its client is disconnected")
    .option("--reason <text>", "text sent to the client in the stream error", "Kicked by an administrator")
    .action((jid: string, opts: { reason: string }) =>
      select(async (b, json) => {
        const kicked = await (await b.cluster()).kick(jid, opts.reason);
        return json ? JSON.stringify({ ok: true, ...kicked }) : `kicked ${kicked.jid} (gateway ${kicked.gateway})`;
      }));

  program.command("stats").description("registered users, online sessions, AMP queue backlog, stored offline messages")
    .action(() =>
      select(async (b, json) => {
        const s = await (await b.cluster()).stats();
        if (json) return JSON.stringify({ ok: true, ...s });
        return table(["STATISTIC", "VALUE"], [
          ["registered users", String(s.users)],
          ["online sessions", String(s.sessions)],
          ["AMP queue pending", String(s.ampPending)],
          ["offline messages", String(s.offlineMessages)],
        ]);
      }));

  program.command("amp-queue").description("the AMP work queue (JetStream, or in process under npm start): pending, ack pending, redelivered")
    .action(() =>
      select(async (b, json) => {
        const q = await (await b.cluster()).ampQueue();
        if (json) return JSON.stringify({ ok: true, ...q });
        if (q.stream === EMBEDDED_QUEUE) return `in-process AMP queue of the embedded server: ${q.messages} messages not yet acknowledged`;
        if (!q.exists) return `stream ${q.stream} does not exist yet: no AMP worker or router has opened the queue in this cluster`;
        const totals = table(["STREAM", "CONSUMERS", "MESSAGES", "PENDING", "ACK PENDING", "REDELIVERED", "WAITING"], [
          [q.stream, String(q.consumers.length), ...[q.messages, q.pending, q.ackPending, q.redelivered, q.waiting].map(String)],
        ]);
        // A partition takes one message at a time: a consumer stuck with work is worth naming.
        const busy = q.consumers.filter((c) => c.pending + c.ackPending > 0);
        if (busy.length === 0) return totals;
        return `${totals}\n\n${table(["CONSUMER", "PENDING", "ACK PENDING", "REDELIVERED"], busy.map((c) => [c.name, String(c.pending), String(c.ackPending), String(c.redelivered)]))}`;
      }));

  program.command("migrate").description("apply the SQL migrations (schemas core and amp)")
    .action(() =>
      select(async (b, json) => {
        const reports = await (await b.cluster()).migrate();
        if (json) return JSON.stringify({ ok: true, schemas: reports });
        return reports.map((r) => `${r.set}: ${r.applied.length > 0 ? `applied ${r.applied.join(", ")}` : "up to date"} (version ${r.version})`).join("\n");
      }));

  program.command("check-config [file]").description("validate a configuration file (default: $XMPPD_CONFIG) with the environment")
    .action((file: string | undefined) =>
      select(async (_b, json) => {
        const check = checkConfig(file, io.env);
        if (check.ok) return json ? JSON.stringify({ ok: true, domains: check.domains }) : `configuration is valid (domains: ${check.domains.join(", ")})`;
        const text = json ? JSON.stringify({ ok: false, problems: check.problems }) : check.problems.map(formatProblem).join("\n");
        const count = check.problems.length === 1 ? "1 problem" : `${check.problems.length} problems`;
        return { text, code: 1, error: `invalid configuration (${count})` };
      }));
}
