import { formatIssue, type ConfigIssue } from "./issue.ts";

/** Thrown by loadConfig; the message names every problem, one per line, with its fix and source. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super([`invalid configuration (${count}):`, ...issues.map(formatIssue)].join("\n"));
    this.issues = issues;
  }
}
