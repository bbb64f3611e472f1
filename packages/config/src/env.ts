// Environment overrides: the conventional URLs (NATS_URL, ...) and the generic form
// XMPPD__<key>__<key>=<value>, keys written exactly as in the schema. The generic form is
// applied after the conventional one, so it wins when both name the same key.
import * as z from "zod";
import { objectShape, schemaAt, unwrap } from "./schema-walk.ts";
import { formatPath, type ConfigIssue } from "./issue.ts";
import { validKeys } from "./zod-issues.ts";
import { namedValue } from "./env-files.ts";
import { movedKeyIssue } from "./moved-keys.ts";

export type Env = Record<string, string | undefined>;

export interface EnvOverride {
  at: string[];
  value: unknown;
  /** The variable's name, reported as the source of the value. */
  name: string;
}

const GENERIC_PREFIX = "XMPPD__";

/** Conventional variables of the deployment world (docker-compose, Kubernetes, Heroku-style URLs). */
export const NAMED_VARIABLES: Readonly<Record<string, string[]>> = {
  NATS_URL: ["nats", "url"],
  REDIS_URL: ["redis", "url"],
  DATABASE_URL: ["database", "url"],
  AMP_DATABASE_URL: ["amp", "databaseUrl"],
  LOG_LEVEL: ["log", "level"],
};

export function envName(at: readonly string[]): string {
  return GENERIC_PREFIX + at.join("__");
}

/**
 * JSON when it parses, else the text. String keys take the text as written (a quoted JSON
 * string is unquoted), so XMPPD__gateway__name=123 means "123" rather than a type error.
 */
export function parseEnvValue(text: string, leaf: z.core.$ZodType): unknown {
  const schema = unwrap(leaf);
  const isText = schema instanceof z.ZodString || schema instanceof z.ZodEnum;
  if (isText && !text.startsWith('"')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function unknownPath(at: string[], depth: number, name: string): ConfigIssue {
  const known = at.slice(0, depth);
  const bad = at.slice(0, depth + 1);
  const moved = movedKeyIssue(at, { name, spell: envName });
  if (moved) return moved;
  const isSection = objectShape(schemaAt(known).schema) !== null;
  const fix = isSection
    ? `remove ${name}; valid keys: ${validKeys(known)}`
    : `${formatPath(known)} is a single value, not a section; set ${envName(known)} instead`;
  return { at: bad, problem: "unknown key", fix, source: `env ${name}` };
}

function genericOverride(name: string, text: string): EnvOverride | ConfigIssue {
  const at = name.slice(GENERIC_PREFIX.length).split("__");
  const { schema, depth } = schemaAt(at);
  if (depth < at.length) return unknownPath(at, depth, name);
  return { at, value: parseEnvValue(text, schema), name };
}

export function readEnv(env: Env): { overrides: EnvOverride[]; issues: ConfigIssue[] } {
  const overrides: EnvOverride[] = [];
  const issues: ConfigIssue[] = [];
  for (const [name, at] of Object.entries(NAMED_VARIABLES)) {
    const found = namedValue(env, name, at);
    if (found && "issue" in found) issues.push(found.issue);
    else if (found) overrides.push({ at, value: found.value, name: found.name });
  }
  for (const [name, text] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!name.startsWith(GENERIC_PREFIX) || text === undefined) continue;
    const result = genericOverride(name, text);
    if ("problem" in result) issues.push(result);
    else overrides.push(result);
  }
  return { overrides, issues };
}
