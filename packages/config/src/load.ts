// loadConfig: defaults < YAML file < environment, validated once, then frozen.
import { configSchema, type Config } from "./schema.ts";
import { ConfigError } from "./config-error.ts";
import { crossChecks } from "./cross-checks.ts";
import { deepFreeze } from "./deep-freeze.ts";
import { readEnv, type Env, type EnvOverride } from "./env.ts";
import { readConfigFile, type ConfigFile } from "./file.ts";
import type { ConfigIssue, Segments } from "./issue.ts";
import { fromZodIssues } from "./zod-issues.ts";

export interface LoadConfigOptions {
  /** YAML file; when absent, env XMPPD_CONFIG; when both are absent, defaults and env only. */
  file?: string;
  env?: Env;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Sets a value at a path; a mapping given for a section is merged into what the file said. */
function setIn(root: Record<string, unknown>, at: readonly string[], value: unknown): void {
  let target = root;
  for (const key of at.slice(0, -1)) {
    if (!isPlainObject(target[key])) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  const last = at[at.length - 1] as string;
  const current = target[last];
  if (isPlainObject(current) && isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) setIn(current, [key], child);
  } else {
    target[last] = value;
  }
}

function startsWith(path: Segments, prefix: Segments): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}

function attachSource(issue: ConfigIssue, overrides: EnvOverride[], file?: ConfigFile): ConfigIssue {
  if (issue.source) return issue;
  const sources = [issue.at, ...(issue.also ?? [])].map((at) => {
    const fromEnv = overrides.findLast((o) => startsWith(at, o.at));
    return fromEnv ? `env ${fromEnv.name}` : file?.sourceOf(at);
  });
  const unique = [...new Set(sources.filter((s): s is string => s !== undefined))];
  return unique.length > 0 ? { ...issue, source: unique.join(", ") } : issue;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const { overrides, issues } = readEnv(env);
  const path = options.file ?? (env.XMPPD_CONFIG || undefined);
  const file = path === undefined ? undefined : readConfigFile(path);
  issues.unshift(...(file?.issues ?? []));

  const raw: Record<string, unknown> = structuredClone(file?.data ?? {});
  for (const override of overrides) setIn(raw, override.at, override.value);

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) issues.push(...fromZodIssues(parsed.error.issues, raw));
  issues.push(...crossChecks(raw));
  if (issues.length > 0 || !parsed.success) {
    throw new ConfigError(issues.map((issue) => attachSource(issue, overrides, file)));
  }
  return deepFreeze(parsed.data);
}
