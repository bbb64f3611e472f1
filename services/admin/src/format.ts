// Plain-text output for people: aligned columns, no colours.
import type { SessionsPage } from "./ops.ts";

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function sessionsTable(page: SessionsPage): string {
  const rows = page.sessions.map((s) => [
    s.jid,
    s.gateway,
    s.conn,
    s.available ? "yes" : "no",
    String(s.priority),
    new Date(s.boundAt).toISOString(),
  ]);
  const body = rows.length > 0 ? `${table(["JID", "GATEWAY", "CONNECTION", "AVAILABLE", "PRIORITY", "BOUND AT"], rows)}\n` : "";
  return `${body}${page.sessions.length} of ${page.total} sessions`;
}
