// describeConfig(): every key with its env variable, default and doc line, for README/docs.
import { configSchema } from "./schema.ts";
import { envName, NAMED_VARIABLES } from "./env.ts";
import { FILE_SUFFIX, FILE_VARIABLES } from "./env-files.ts";
import { KEY_DOCS } from "./key-docs.ts";
import { leafPaths } from "./schema-walk.ts";
import { valueAt } from "./zod-issues.ts";

export interface KeyDescription {
  path: string;
  /** The default as JSON, or undefined when the key is unset by default. */
  defaultValue: unknown;
  doc: string;
  /** Environment variables that set the key; the generic XMPPD__ form comes last. */
  env: string[];
}

export function configKeys(): KeyDescription[] {
  const defaults = configSchema.parse({});
  return leafPaths().map((path) => {
    const at = path.split(".");
    const named = Object.entries(NAMED_VARIABLES).filter(([, p]) => p.join(".") === path)
      .flatMap(([name]) => (FILE_VARIABLES.includes(name) ? [name, name + FILE_SUFFIX] : [name]));
    return { path, defaultValue: valueAt(defaults, at), doc: KEY_DOCS[path] ?? "", env: [...named, envName(at)] };
  });
}

/** A Markdown list: `- \`gateway.c2sPort\` = 5222 (env XMPPD__gateway__c2sPort): c2s TCP port.` */
export function describeConfig(): string {
  return configKeys()
    .map((k) => {
      const value = k.defaultValue === undefined ? "unset" : JSON.stringify(k.defaultValue);
      return `- \`${k.path}\` = ${value} (env ${k.env.join(", ")}): ${k.doc}`;
    })
    .join("\n");
}
