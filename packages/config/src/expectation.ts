// Turns a leaf schema into the words of an error message: what is expected and how to fix it,
// e.g. "integer 0..65535" / "set a port number". Read off the schema, so messages cannot drift.
import * as z from "zod";
import { unwrap } from "./schema-walk.ts";

export interface Expectation {
  text: string;
  fix: string;
}

interface CheckDef {
  check: string;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
  pattern?: RegExp;
}

function checksOf(schema: z.core.$ZodType): CheckDef[] {
  const checks = (schema._zod.def as { checks?: z.core.$ZodCheck[] }).checks ?? [];
  return checks.map((c) => c._zod.def as unknown as CheckDef);
}

function numberExpectation(schema: z.ZodNumber): Expectation {
  let min: number | undefined;
  let max: number | undefined;
  for (const c of checksOf(schema)) {
    // Integers only in this schema: an exclusive bound is the next whole number.
    if (c.check === "greater_than" && c.value !== undefined) min = c.inclusive ? c.value : c.value + 1;
    if (c.check === "less_than" && c.value !== undefined) max = c.inclusive ? c.value : c.value - 1;
  }
  const kind = schema.isInt ? "integer" : "number";
  const article = schema.isInt ? "an" : "a";
  if (min === 0 && max === 65535) return { text: "integer 0..65535", fix: "set a port number" };
  if (min !== undefined && max !== undefined) return { text: `${kind} ${min}..${max}`, fix: `set ${article} ${kind} in that range` };
  if (min !== undefined) return { text: `${kind} >= ${min}`, fix: `set ${article} ${kind} of at least ${min}` };
  return { text: kind, fix: `set ${article} ${kind}` };
}

function stringExpectation(schema: z.ZodString): Expectation {
  const pattern = checksOf(schema).find((c) => c.pattern)?.pattern;
  if (pattern) return { text: `string matching ${pattern.source}`, fix: "use only the characters the pattern allows" };
  if ((schema.minLength ?? 0) > 0) return { text: "non-empty string", fix: "set a value or remove the key" };
  return { text: "string", fix: "quote the value" };
}

function arrayExpectation(schema: z.ZodArray): Expectation {
  const min = checksOf(schema).find((c) => c.check === "min_length")?.minimum;
  const element = describeExpectation(schema.element as z.core.$ZodType).text;
  const atLeast = min ? ` (at least ${min})` : "";
  return { text: `list of ${element}${atLeast}`, fix: 'write a YAML list, or JSON such as ["a","b"] in an env var' };
}

/** What a leaf accepts, for messages of the form `expected <text>, got <value> (<fix>)`. */
export function describeExpectation(leaf: z.core.$ZodType): Expectation {
  const schema = unwrap(leaf);
  if (schema instanceof z.ZodNumber) return numberExpectation(schema);
  if (schema instanceof z.ZodString) return stringExpectation(schema);
  if (schema instanceof z.ZodBoolean) return { text: "boolean", fix: "set true or false" };
  if (schema instanceof z.ZodEnum) {
    const options = schema.options.join(", ");
    return { text: `one of ${options}`, fix: "use one of the listed values" };
  }
  if (schema instanceof z.ZodArray) return arrayExpectation(schema);
  if (schema instanceof z.ZodObject) return { text: "a mapping of keys", fix: "write the section as key: value pairs" };
  return { text: schema._zod.def.type, fix: "see describeConfig()" };
}
