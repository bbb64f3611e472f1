// The Docker/Kubernetes secrets convention: <NAME>_FILE names a file whose content is the value of
// <NAME> (a mounted secret instead of a URL with a password in the process environment, where
// `docker inspect` and /proc/<pid>/environ show it). The trailing newline editors add is dropped.
import { readFileSync } from "node:fs";
import type { ConfigIssue, Segments } from "./issue.ts";

export const FILE_SUFFIX = "_FILE";

/** Variables that may carry credentials, and so may come from a file. */
export const FILE_VARIABLES: readonly string[] = ["NATS_URL", "REDIS_URL", "DATABASE_URL", "AMP_DATABASE_URL"];

export type NamedValue = { value: string; name: string } | { issue: ConfigIssue } | null;

/** The value of `name` from the environment or from its _FILE, with the variable it came from. */
export function namedValue(env: Record<string, string | undefined>, name: string, at: Segments): NamedValue {
  const text = env[name];
  const fileName = name + FILE_SUFFIX;
  const path = FILE_VARIABLES.includes(name) ? env[fileName] : undefined;
  // An empty variable is how compose files and shells spell "unset".
  if (!path) return text ? { value: text, name } : null;
  const source = `env ${fileName}`;
  if (text) return { issue: { at, problem: `set by both ${name} and ${fileName}`, fix: `unset one of them`, source } };
  let content: string;
  try {
    content = readFileSync(path, "utf8").replace(/[\r\n]+$/, "");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { issue: { at, problem: `cannot read ${path} (${why})`, fix: `point ${fileName} at a readable file`, source } };
  }
  if (content === "") return { issue: { at, problem: `${path} is empty`, fix: `put the value in the file, or unset ${fileName}`, source } };
  return { value: content, name: fileName };
}
