// Keeps the layering true (docs/architecture.md "Layering"): packages never import services, only
// packages/xml touches @xmpp/xml, protocol packages stay free of drivers, every package with
// code has tests, and the gateway's import graph stays out of the private tier (dmz-graph.ts).
// Usage: node --import tsx scripts/check-layers.ts [repo root]
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { checkDmz } from "./dmz-graph.ts";
import { walk, workspaceDirs } from "./repo-files.ts";

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
const SERVICE_PACKAGES = new Set(["@xmppd/connection-gateway", "@xmppd/session-router", "@xmppd/amp-worker", "@xmppd/standalone", "@xmppd/admin"]);
const DRIVERS = new Set(["ioredis", "pg", "nats", "ws", "@electric-sql/pglite"]);
const DRIVER_FREE = ["packages/modules/", "packages/routing/"];

interface Import {
  file: string; // relative to root, with forward slashes
  line: number;
  specifier: string;
}

function importsOf(path: string): Import[] {
  const text = readFileSync(path, "utf8");
  const file = relative(root, path).split(sep).join("/");
  // preProcessFile finds static, dynamic, type-only and require() imports without type checking.
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles.map(({ fileName, pos }) => ({ file, specifier: fileName, line: text.slice(0, pos).split("\n").length }));
}

/** "@scope/name/sub" -> "@scope/name", "pg/lib/x" -> "pg"; relative paths stay as they are. */
function packageName(specifier: string): string {
  if (specifier.startsWith(".") || specifier.startsWith("/")) return specifier;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

function intoServices(imp: Import): boolean {
  if (!imp.specifier.startsWith(".")) return false;
  const target = relative(root, resolve(root, dirname(imp.file), imp.specifier)).split(sep).join("/");
  return target === "services" || target.startsWith("services/");
}

function violation(imp: Import): string | undefined {
  const name = packageName(imp.specifier);
  const inPackages = imp.file.startsWith("packages/");
  if (inPackages && (SERVICE_PACKAGES.has(name) || intoServices(imp))) return `packages must not import services (${imp.specifier})`;
  if (name.startsWith("@xmpp/") && !imp.file.startsWith("packages/xml/")) {
    const clientInTests = name === "@xmpp/client" && imp.file.startsWith("test/");
    if (!clientInTests) return `only packages/xml may import ${name} (use ${name === "@xmpp/xml" ? "@xmppd/xml" : "the @xmppd/* package"})`;
  }
  if (DRIVERS.has(name) && DRIVER_FREE.some((dir) => imp.file.startsWith(dir))) {
    return `${imp.file.split("/").slice(0, 2).join("/")} must not import ${name} (take the capability from its context)`;
  }
  return undefined;
}

function untestedPackages(): string[] {
  return workspaceDirs(root)
    .filter((dir) => existsSync(join(dir, "src")) && statSync(join(dir, "src")).isDirectory())
    .filter((dir) => !walk(dir).some((file) => /\.test\.(ts|mts|tsx)$/.test(file)))
    .map((dir) => `${relative(root, dir).split(sep).join("/")}: package has src/ but no *.test.ts (CI fails on packages without tests)`);
}

function main(): void {
  const files = ["packages", "services", "test", "scripts", "bench"].flatMap((dir) => walk(join(root, dir)));
  const problems = files
    .flatMap(importsOf)
    .flatMap((imp) => {
      const message = violation(imp);
      return message ? [`${imp.file}:${imp.line}: ${message}`] : [];
    });
  problems.push(...untestedPackages());
  const dmz = checkDmz(root);
  problems.push(...dmz.problems);
  if (problems.length > 0) {
    for (const problem of problems) console.error(problem);
    console.error(`layers: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
    process.exit(1);
  }
  console.log("layers ok");
  console.log(`gateway reaches ${dmz.files.length} files; npm packages: ${dmz.npm.join(", ") || "none"}`);
}

main();
