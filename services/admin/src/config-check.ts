// check-config: load a configuration the way the services do (file plus environment) and list
// every problem with its key, the fix and where the value came from; then the TLS files it names
// (certificate-check.ts).
import { ConfigError, loadConfig, type ConfigIssue } from "@xmppd/config";
import { checkCertificates } from "./certificate-check.ts";

export interface ConfigProblem {
  key: string;
  problem: string;
  fix: string;
  source?: string;
}

export type ConfigCheck = { ok: true; domains: readonly string[] } | { ok: false; problems: ConfigProblem[] };

export function checkConfig(file: string | undefined, env?: Record<string, string | undefined>): ConfigCheck {
  try {
    const config = loadConfig({ file, env });
    const problems = checkCertificates(config);
    return problems.length === 0 ? { ok: true, domains: config.domains } : { ok: false, problems };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, problems: err.issues.map(toProblem) };
  }
}

function toProblem(issue: ConfigIssue): ConfigProblem {
  const key = issue.label ?? issue.at.reduce<string>((text, s) => (typeof s === "number" ? `${text}[${s}]` : text ? `${text}.${s}` : s), "");
  return { key, problem: issue.problem, fix: issue.fix, ...(issue.source ? { source: issue.source } : {}) };
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.key}: ${p.problem} (${p.fix})${p.source ? ` [from ${p.source}]` : ""}`;
}
