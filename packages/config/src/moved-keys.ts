// Keys that were renamed when their meaning changed: naming one stops the start with the key
// that replaced it, rather than a bare "unknown key".
import { formatPath, type ConfigIssue, type Segments } from "./issue.ts";

const OPS = "/metrics, /healthz and /readyz have a listener of their own, on 127.0.0.1 unless ops.host says otherwise";

export const MOVED_KEYS: Readonly<Record<string, { to: string; why: string }>> = {
  "router.host": { to: "router.ops.host", why: OPS },
  "router.httpPort": { to: "router.ops.port", why: OPS },
  "amp.host": { to: "amp.ops.host", why: OPS },
  "amp.httpPort": { to: "amp.ops.port", why: OPS },
};

/** An env variable naming a moved key, and how the replacement's variable is spelled. */
export interface MovedVariable {
  name: string;
  spell(at: readonly string[]): string;
}

/** The issue for a moved key, with the rename spelled for the file or for the env variable. */
export function movedKeyIssue(at: Segments, variable?: MovedVariable): ConfigIssue | undefined {
  const moved = MOVED_KEYS[formatPath(at)];
  if (!moved) return undefined;
  const problem = `replaced by ${moved.to}: ${moved.why}`;
  if (variable === undefined) return { at, problem, fix: `rename it to ${moved.to}` };
  return { at, problem, fix: `rename ${variable.name} to ${variable.spell(moved.to.split("."))}`, source: `env ${variable.name}` };
}
