// XEP-0079 stored messages of an account: amp-messages lists them with their expiry and rules,
// amp-purge deletes them (or only those with an expire-at pending).
import type { Command } from "commander";
import type { Select } from "./cli.ts";
import { table } from "./format.ts";
import type { StoredMessage } from "./ops.ts";

export function addAmpCommands(program: Command, select: Select): void {
  program.command("amp-messages <user> <domain>").description("list an account's stored offline messages with their XEP-0079 expiry and rules")
    .action((user: string, domain: string) =>
      select(async (b, json) => {
        const messages = await (await b.ops()).ampMessages(user, domain);
        return json ? JSON.stringify({ ok: true, jid: `${user}@${domain}`, messages }) : messagesTable(messages);
      }));
  program.command("amp-purge <user> <domain>").description("delete an account's stored offline messages")
    .option("--expirable-only", "only those with an XEP-0079 expire-at pending")
    .action((user: string, domain: string, opts: { expirableOnly?: boolean }) =>
      select(async (b, json) => {
        const deleted = await (await b.ops()).ampPurge(user, domain, opts.expirableOnly === true);
        return json ? JSON.stringify({ ok: true, deleted }) : `deleted ${deleted} stored messages`;
      }));
}

function messagesTable(messages: StoredMessage[]): string {
  const rows = messages.map((m) => [m.id, m.storedAt, m.sender, m.expiresAt ?? "-", m.rules || "-"]);
  const body = rows.length > 0 ? `${table(["ID", "STORED AT", "FROM", "EXPIRES AT", "RULES"], rows)}\n` : "";
  const expiring = messages.filter((m) => m.expiresAt !== null).length;
  return `${body}${messages.length} stored messages, ${expiring} with an expiry`;
}
