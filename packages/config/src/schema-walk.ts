// Walks the zod schema so the loader can name valid keys, find the rule for one key and list
// every key for describeConfig(). Only the wrappers the schema uses are unwrapped.
import * as z from "zod";
import { configSchema } from "./schema.ts";

type Schema = z.core.$ZodType;

/** Strips default/prefault/optional wrappers down to the schema that validates the value. */
export function unwrap(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: Schema };
    if ((def.type === "default" || def.type === "prefault" || def.type === "optional") && def.innerType) {
      current = def.innerType;
    } else {
      return current;
    }
  }
}

/** The keys of an object schema, or null when the schema is not an object. */
export function objectShape(schema: Schema): Record<string, Schema> | null {
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, Schema>) : null;
}

/**
 * The schema at a path of object keys and array indices (indices select the element schema).
 * Returns the deepest schema reached and how many segments were consumed, so callers can tell
 * an unknown key from a known one.
 */
export function schemaAt(path: readonly (string | number)[]): { schema: Schema; depth: number } {
  let schema: Schema = configSchema;
  let depth = 0;
  for (const segment of path) {
    const inner = unwrap(schema);
    const shape = objectShape(inner);
    if (shape && typeof segment === "string" && Object.hasOwn(shape, segment)) {
      schema = shape[segment] as Schema;
    } else if (inner instanceof z.ZodArray && typeof segment === "number") {
      schema = inner.element as Schema;
    } else {
      break;
    }
    depth += 1;
  }
  return { schema, depth };
}

/** Every leaf key (non-object value) as a dotted path, in schema order. */
export function leafPaths(schema: Schema = configSchema, prefix = ""): string[] {
  const shape = objectShape(schema);
  if (!shape) return [prefix];
  return Object.entries(shape).flatMap(([key, child]) => leafPaths(child, prefix ? `${prefix}.${key}` : key));
}
