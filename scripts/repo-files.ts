// The source files and npm workspaces of a repository, shared by the layering checks.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const SOURCE = /\.(ts|mts|cts|tsx|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", "coverage"]);

/** Every source file under dir (absolute paths). */
export function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) walk(join(dir, entry.name), out);
    else if (entry.isFile() && SOURCE.test(entry.name)) out.push(join(dir, entry.name));
  }
  return out;
}

/** The workspace folders named by the root package.json ("packages/*" style globs). */
export function workspaceDirs(root: string): string[] {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces?: string[] };
  return (manifest.workspaces ?? []).flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [join(root, pattern)];
    const parent = join(root, pattern.slice(0, -2));
    return existsSync(parent) ? readdirSync(parent).map((name) => join(parent, name)) : [];
  });
}
