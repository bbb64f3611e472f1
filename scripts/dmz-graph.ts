// The DMZ boundary (docs/architecture.md "Layering"): follow everything the gateway
// loads, transitively (relative files, and @xmppd/* workspaces through their package.json
// "exports"), and fail on any path to storage, the SASL verifier or a database driver, printing
// the chain. npm packages are recorded, not entered: the drivers are named here by package.
//
// Type-only imports are skipped: `import type` and `export type ... from` are erased. An inline
// `import { type X } from "m"` still counts, because verbatimModuleSyntax keeps it as
// `import {} from "m"`, which loads m. A computed import(x) cannot be followed, so it fails.
import { existsSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { walk, workspaceDirs } from "./repo-files.ts";

const GATEWAY_SRC = "services/connection-gateway/src";
/** Test files and helpers of the gateway are not part of what it runs. */
const NOT_RUN = /(\.test\.ts$|\/testing\/)/;
/**
 * What a gateway must never load. @xmppd/modules is not listed: a module may have gateway parts,
 * and the walk goes through it, so it fails only if it drags one of these in.
 */
export const FORBIDDEN = new Set(["@xmppd/storage", "@xmppd/sasl", "@xmppd/stores-runtime", "ioredis", "pg", "@electric-sql/pglite"]);

export interface DmzReport {
  problems: string[];
  /** Every file the gateway loads, relative to the root. */
  files: string[];
  /** Every npm package it loads (node builtins aside), sorted. */
  npm: string[];
}

interface Workspace {
  dir: string; // relative to root
  exports: unknown;
}

const posix = (path: string): string => path.split(sep).join("/");
const BUILTINS = new Set(builtinModules);
const SOURCE = /\.(ts|mts|cts|tsx|js|mjs|cjs)$/;

/** "@scope/name/sub" -> "@scope/name", "pg/lib/x" -> "pg". */
export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

/** The specifiers a file loads at run time; `null` stands for an import(x) we cannot follow. */
export function runtimeImports(text: string): (string | null)[] {
  const out: (string | null)[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly === true : node.isTypeOnly;
      if (!typeOnly) out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))) {
      const arg = node.arguments[0];
      out.push(arg && ts.isStringLiteralLike(arg) ? arg.text : null);
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile("x.ts", text, ts.ScriptTarget.Latest, false));
  return out;
}

function workspaces(root: string): Map<string, Workspace> {
  const out = new Map<string, Workspace>();
  for (const dir of workspaceDirs(root)) {
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    const { name, exports } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; exports?: unknown };
    if (name) out.set(name, { dir: posix(relative(root, dir)), exports });
  }
  return out;
}

/** The file a workspace exports under `subpath` (".", "./contract"): a string or an import/default condition. */
function exportTarget(ws: Workspace, subpath: string): string | undefined {
  const entry = typeof ws.exports === "string" && subpath === "." ? ws.exports : (ws.exports as Record<string, unknown> | undefined)?.[subpath];
  const target = entry && typeof entry === "object" ? ((entry as Record<string, unknown>).import ?? (entry as Record<string, unknown>).default) : entry;
  return typeof target === "string" ? posix(join(ws.dir, target)) : undefined;
}

function resolveRelative(root: string, from: string, specifier: string): string | undefined {
  const base = resolve(root, dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")];
  const found = candidates.find((path) => statSync(path, { throwIfNoEntry: false })?.isFile());
  return found && posix(relative(root, found));
}

export function checkDmz(root: string): DmzReport {
  const spaces = workspaces(root);
  const forbiddenDirs = [...FORBIDDEN].flatMap((name) => (spaces.has(name) ? [`${spaces.get(name)!.dir}/`] : []));
  const entries = walk(join(root, GATEWAY_SRC)).map((path) => posix(relative(root, path))).filter((file) => file.endsWith(".ts") && !NOT_RUN.test(file)).sort();
  // BFS: each node remembers the node it was first reached from, so a chain is the shortest one.
  const from = new Map<string, string | null>(entries.map((file) => [file, null]));
  const chain = (node: string): string => {
    const path: string[] = [];
    for (let at: string | null | undefined = node; at != null; at = from.get(at)) path.unshift(at);
    return path.join(" -> ");
  };
  const problems: string[] = [];
  const npm = new Set<string>();
  const files: string[] = [];
  const queue = [...entries];
  const packages = new Set<string>(); // nodes that are workspace specifiers, not files
  const enqueue = (node: string, parent: string): void => {
    if (from.has(node)) return;
    from.set(node, parent);
    queue.push(node);
  };
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as string;
    if (packages.has(node)) {
      // A workspace package: its one edge is the exported file.
      const ws = spaces.get(packageName(node));
      const target = ws && exportTarget(ws, `.${node.slice(packageName(node).length)}`);
      if (target) enqueue(target, node);
      else problems.push(`${chain(node)}: not exported by a workspace package.json`);
      continue;
    }
    files.push(node);
    if (!SOURCE.test(node)) continue;
    for (const specifier of runtimeImports(readFileSync(join(root, node), "utf8"))) {
      if (specifier === null) problems.push(`${chain(node)}: import() of a computed specifier cannot be checked`);
      else if (specifier.startsWith(".")) {
        const file = resolveRelative(root, node, specifier);
        if (!file) problems.push(`${chain(node)} -> ${specifier}: cannot resolve`);
        else if (forbiddenDirs.some((dir) => file.startsWith(dir))) problems.push(`${chain(node)} -> ${file}: the gateway must not load this`);
        else enqueue(file, node);
      } else if (specifier.startsWith("node:") || BUILTINS.has(specifier)) continue;
      else if (FORBIDDEN.has(packageName(specifier))) problems.push(`${chain(node)} -> ${specifier}: the gateway must not load this`);
      else if (spaces.has(packageName(specifier))) {
        packages.add(specifier);
        enqueue(specifier, node);
      } else npm.add(packageName(specifier));
    }
  }
  // A file may name the same package on several lines: one report per chain.
  return { problems: [...new Set(problems)], files: files.sort(), npm: [...npm].sort() };
}
