// The results as a console table, JSON and a Markdown table (the one docs/reliability.md shows).
import type { ChaosReport, FaultResult } from "./run.ts";

const COLUMNS: [string, (r: FaultResult) => string][] = [
  ["fault", (r) => r.fault],
  ["accepted", (r) => String(r.accepted)],
  ["delivered", (r) => String(r.delivered)],
  ["stored", (r) => String(r.stored)],
  ["bounced", (r) => String(r.bounced)],
  ["lost", (r) => String(r.lost)],
  ["duplicated", (r) => (r.duplicatedByResend > 0 ? `${r.duplicated} (${r.duplicatedByResend} resent)` : String(r.duplicated))],
  ["reordered", (r) => String(r.reordered)],
  ["recovery s", (r) => (r.recoverySeconds === null ? "never" : r.recoverySeconds.toFixed(1))],
  ["healthy closed", (r) => (r.guardsHealthyStreams ? String(r.healthyClosed) : "-")],
  ["drops / resumed / resume failed", (r) => `${r.drops} / ${r.resumes} / ${r.resumeFailures}`],
  ["ok", (r) => (r.ok ? "yes" : "NO")],
];

export function consoleTable(report: ChaosReport): string {
  const rows = [COLUMNS.map(([h]) => h), ...report.results.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ")).join("\n");
}

export function markdownTable(report: ChaosReport, commit: string): string {
  const o = report.options;
  const lines = [
    `Run of ${report.startedAt} at commit \`${commit}\`: ${o.clients} clients, ${o.rate} messages/s (${Math.round(o.ampShare * 100)}% AMP), ${o.durationMs / 1000} s of load per fault.`,
    "",
    `| ${COLUMNS.map(([h]) => h).join(" | ")} |`,
    `|${COLUMNS.map((_, i) => (i === 0 ? "---" : "--:")).join("|")}|`,
    ...report.results.map((r) => `| ${COLUMNS.map(([, f]) => f(r)).join(" | ")} |`),
  ];
  return lines.join("\n") + "\n";
}
