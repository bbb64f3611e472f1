// One configuration problem, and how it is printed: `<path>: <problem> (<fix>) [from <source>]`.

export type Segments = readonly (string | number)[];

export interface ConfigIssue {
  /** Where the problem is; array indices are numbers. */
  at: Segments;
  problem: string;
  fix: string;
  /** Other keys whose values took part (cross-key checks); used to name the sources. */
  also?: Segments[];
  /** Printed instead of the path, for problems that are not about one key (a broken file). */
  label?: string;
  /** Filled in by the loader: the file (with line) or env var the value came from. */
  source?: string;
}

/** `gateway.tls.certFile`, `domains[1]`. */
export function formatPath(at: Segments): string {
  return at.reduce<string>((text, segment) => {
    if (typeof segment === "number") return `${text}[${segment}]`;
    return text ? `${text}.${segment}` : segment;
  }, "");
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.label ?? formatPath(issue.at);
  const from = issue.source ? ` [from ${issue.source}]` : "";
  return `${where}: ${issue.problem} (${issue.fix})${from}`;
}

/** A value as the user wrote it, short enough for one line. */
export function showValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
