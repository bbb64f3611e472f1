// Reads the YAML file and remembers where each key was written, so errors can cite a line.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import type { ConfigIssue, Segments } from "./issue.ts";

// The YAML parser is loaded only when there is a file to read: most processes are configured by
// their environment alone (containers), and it is about a MiB of heap each.
const require = createRequire(import.meta.url);
const yaml = (): typeof Yaml => require("yaml") as typeof Yaml;

export interface ConfigFile {
  path: string;
  data: Record<string, unknown>;
  issues: ConfigIssue[];
  /** "file <path> line <n>" for a key present in the file, else undefined. */
  sourceOf(at: Segments): string | undefined;
}

function fileIssue(path: string, problem: string, fix: string): ConfigIssue {
  return { at: [], label: `config file ${path}`, problem, fix };
}

export function readConfigFile(path: string): ConfigFile {
  const empty: ConfigFile = { path, data: {}, issues: [], sourceOf: () => undefined };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ...empty, issues: [fileIssue(path, `cannot read it: ${code}`, "check the path given in XMPPD_CONFIG or the file option")] };
  }
  const { isNode, LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return fileIssue(path, `YAML error at line ${line}, column ${col}: ${e.message.split("\n")[0]}`, "fix the YAML syntax");
    });
    return { ...empty, issues };
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== "object" || Array.isArray(data)) {
    return { ...empty, issues: [fileIssue(path, "top level is not a mapping", "write the configuration as key: value pairs")] };
  }
  const sourceOf = (at: Segments): string | undefined => {
    const node: unknown = doc.getIn(at, true);
    if (!isNode(node)) return undefined;
    const line = node.range ? lineCounter.linePos(node.range[0]).line : undefined;
    return line === undefined ? `file ${path}` : `file ${path} line ${line}`;
  };
  return { path, data: data as Record<string, unknown>, issues: [], sourceOf };
}
