// Translates zod's issues into ConfigIssues phrased from the schema itself
// ("expected integer 0..65535, got "x" (set a port number)").
import type * as z from "zod";
import { describeExpectation } from "./expectation.ts";
import { objectShape, schemaAt } from "./schema-walk.ts";
import { showValue, type ConfigIssue, type Segments } from "./issue.ts";
import { movedKeyIssue } from "./moved-keys.ts";

export function valueAt(root: unknown, at: Segments): unknown {
  let current = root;
  for (const segment of at) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/** The valid keys of the object at `at`, for "valid keys: ..." fixes. */
export function validKeys(at: Segments): string {
  const shape = objectShape(schemaAt(at).schema);
  return shape ? Object.keys(shape).join(", ") : "";
}

export function unknownKeyIssue(at: Segments): ConfigIssue {
  return movedKeyIssue(at) ?? { at, problem: "unknown key", fix: `remove it; valid keys: ${validKeys(at.slice(0, -1))}` };
}

function valueIssue(issue: z.core.$ZodIssue, raw: unknown): ConfigIssue {
  const at = issue.path as (string | number)[];
  const expected = describeExpectation(schemaAt(at).schema);
  // A message written in the schema (e.g. the cluster pattern) says the fix better than a regex.
  const custom = issue.code === "invalid_format" && !issue.message.startsWith("Invalid") ? `use ${issue.message}` : undefined;
  return { at, problem: `expected ${expected.text}, got ${showValue(valueAt(raw, at))}`, fix: custom ?? expected.fix };
}

export function fromZodIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    const at = issue.path as (string | number)[];
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownKeyIssue([...at, key]));
    return [valueIssue(issue, raw)];
  });
}
