// `npm run build`: one ESM bundle per entry point in dist/ (gitignored), with source maps, so that
// production runs plain `node dist/gateway.js` instead of compiling TypeScript through tsx at every
// start. Our workspace packages (@xmppd/*) are bundled in; third-party packages stay external and
// load from node_modules, as before. `ensureBuilt()` rebuilds only when a source file is newer than
// the last build (scripts/cluster/processes.ts uses it, so `npm run cluster`, the end-to-end tests and
// the benchmarks run the compiled services).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build, type Plugin } from "esbuild";

export const ROOT = resolve(import.meta.dirname, "..");
export const DIST = join(ROOT, "dist");

/** Output name (dist/<name>.js) of each entry point, and its source. */
export const BUILD_ENTRIES = {
  gateway: "services/connection-gateway/src/main.ts",
  router: "services/session-router/src/main.ts",
  "amp-worker": "services/amp-worker/src/main.ts",
  standalone: "services/standalone/src/main.ts",
  admin: "services/admin/src/main.ts",
} as const;
export type BuildEntry = keyof typeof BUILD_ENTRIES;

/**
 * The node flags a bundle runs with (the image's NODE_OPTIONS, scripts/cluster/processes.ts), each
 * for a measured reason (BENCHMARKS.md, "Memory and start-up"):
 * - --max-semi-space-size=1: V8 grows the young generation to 16 MiB semi-spaces under start-up
 *   allocation and keeps them committed when idle, 15-30 MiB of a 35-55 MiB heap; 1 MiB
 *   semi-spaces keep an idle process about 8 MiB smaller.
 * - --v8-pool-size=1: one V8 background thread (concurrent marking, compilation) instead of four;
 *   each idle process about 6-10 MiB smaller (thread stacks and malloc arenas). Every process is
 *   single-threaded JavaScript and a deployment runs several per machine.
 * Source maps are written (dist/*.js.map) but not loaded by default: parsing them costs about
 * 3 MiB per process; add --enable-source-maps (or NODE_OPTIONS) for stack traces in TypeScript.
 */
export const RUNTIME_FLAGS = ["--max-semi-space-size=1", "--v8-pool-size=1"] as const;

/** dist/<name>.js, relative to the repository root (the image's WORKDIR). */
export const distFile = (name: BuildEntry): string => `dist/${name}.js`;

/** The source an output of the build comes from ("dist/gateway.js" → its main.ts), if it is one. */
export function sourceOfDist(file: string): string | undefined {
  const m = /^(?:\.\/)?dist\/([\w-]+)\.js$/.exec(file);
  return m && Object.hasOwn(BUILD_ENTRIES, m[1] as string) ? BUILD_ENTRIES[m[1] as BuildEntry] : undefined;
}

const STAMP = join(DIST, ".build-stamp");
/** What a build depends on besides packages/*\/src and services/*\/src. */
const INPUT_FILES = ["package.json", "package-lock.json", "scripts/build.ts"];

/**
 * The migrations of @xmppd/storage (packages/storage/src/migrations/<set>/NNN_name.sql) are read
 * from disk beside the source; in a bundle they are compiled in instead (bundled-migrations.ts).
 */
const migrationsPlugin: Plugin = {
  name: "bundled-migrations",
  setup(b) {
    b.onLoad({ filter: /[\\/]storage[\\/]src[\\/]sql[\\/]bundled-migrations\.ts$/ }, () => {
      const dir = join(ROOT, "packages/storage/src/migrations");
      const sets: Record<string, Record<string, string>> = {};
      for (const set of readdirSync(dir).sort()) {
        sets[set] = Object.fromEntries(readdirSync(join(dir, set)).filter((f) => f.endsWith(".sql")).sort().map((f) => [f, readFileSync(join(dir, set, f), "utf8")]));
      }
      return { contents: `export const bundledMigrations = ${JSON.stringify(sets)};`, loader: "ts" };
    });
  },
};

/**
 * Third-party packages bundled in rather than loaded from node_modules. zod (the configuration
 * schema, used once at start) as a package loads every module of it, all 60 locales included,
 * about 2.8 MiB of heap kept for the life of the process; bundled, esbuild drops what the schema
 * does not use (zod supports this: its English messages are registered by the first schema made)
 * and the text left is one-byte (see oneByte()): 2.0-2.6 MiB less heap after GC in every process. It is
 * imported as `import * as z from "zod"` (packages/config): with `import { z }`, the namespace object
 * zod exports keeps every member, locales included.
 */
const INLINED = /^zod(\/|$)/;
/** Bare imports other than our own workspace packages (and INLINED) stay imports of node_modules. */
const externalsPlugin: Plugin = {
  name: "third-party-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@xmppd/") || INLINED.test(args.path) ? undefined : { path: args.path, external: true }));
  },
};

/**
 * V8 keeps a module's source text in its heap, one byte per character while every character is
 * Latin-1 and two bytes per character for the whole text once one is not: a single "…" in a kept
 * comment doubled the router bundle's 300 KiB. With charset "ascii" esbuild escapes everything but
 * comments, so what is left above U+00FF is in a comment and becomes "?" (one UTF-16 unit for one,
 * which keeps the source map's columns).
 */
function oneByte(js: string): string {
  return js.replace(/[^\u0000-\u00ff]/g, "?");
}

export interface BuildResult {
  ms: number;
  files: { file: string; bytes: number }[];
}

/**
 * A bundle imports third-party packages from dist/, so from the root node_modules: a version npm had
 * to nest under one workspace (packages/x/node_modules) would be found there only by the sources.
 */
function nestedDependencies(): string[] {
  const nested: string[] = [];
  for (const top of ["packages", "services"]) {
    for (const pkg of readdirSync(join(ROOT, top))) {
      const dir = join(ROOT, top, pkg, "node_modules");
      const names = statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? readdirSync(dir).filter((n) => n !== ".bin" && !n.startsWith(".")) : [];
      nested.push(...names.map((n) => `${top}/${pkg}/node_modules/${n}`));
    }
  }
  return nested;
}

/** Builds every entry into dist/: written beside it first and renamed in, so a process starting meanwhile never reads half a file. */
export async function buildAll(): Promise<BuildResult> {
  const nested = nestedDependencies();
  if (nested.length > 0) throw new Error(`dependencies installed under a workspace, which a bundle in dist/ cannot resolve: ${nested.join(", ")}`);
  const started = performance.now();
  const stampTime = new Date();
  const tmp = join(DIST, `.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: Object.entries(BUILD_ENTRIES).map(([out, src]) => ({ in: src, out })),
      outdir: tmp,
      bundle: true,
      splitting: false,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "linked",
      // Stack traces point into the TypeScript (node --enable-source-maps, set in the bundle's banner below).
      sourcesContent: false,
      logLevel: "warning",
      legalComments: "none",
      // Non-ASCII in strings, templates and regular expressions written as escapes; see oneByte().
      charset: "ascii",
      write: false,
      plugins: [externalsPlugin, migrationsPlugin],
    });
    for (const out of result.outputFiles) writeFileSync(out.path, out.path.endsWith(".js") ? oneByte(out.text) : out.contents);
    const files = readdirSync(tmp).sort();
    for (const file of files) renameSync(join(tmp, file), join(DIST, file));
    writeFileSync(STAMP, `${stampTime.toISOString()}\n`);
    return { ms: Math.round(performance.now() - started), files: files.map((file) => ({ file: `dist/${file}`, bytes: statSync(join(DIST, file)).size })) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function newestSource(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) {
      for (const name of readdirSync(path)) if (name !== "node_modules") visit(join(path, name));
    } else if (!/\.test\.ts$/.test(path)) newest = Math.max(newest, st.mtimeMs);
  };
  for (const top of ["packages", "services"]) {
    for (const pkg of readdirSync(join(ROOT, top))) visit(join(ROOT, top, pkg, "src"));
  }
  for (const file of INPUT_FILES) visit(join(ROOT, file));
  return newest;
}

/** Whether dist/ holds every entry, built after the last change to any source it is made from. */
export function isBuildCurrent(): boolean {
  const stamp = statSync(STAMP, { throwIfNoEntry: false });
  if (!stamp) return false;
  for (const name of Object.keys(BUILD_ENTRIES) as BuildEntry[]) if (!statSync(join(ROOT, distFile(name)), { throwIfNoEntry: false })) return false;
  const built = Date.parse(readFileSync(STAMP, "utf8").trim());
  return Number.isFinite(built) && newestSource() < built;
}

let pending: Promise<boolean> | undefined;
/** Builds unless dist/ is current; once per process. Resolves with whether it built. */
export function ensureBuilt(): Promise<boolean> {
  pending ??= isBuildCurrent() ? Promise.resolve(false) : buildAll().then(() => true);
  return pending;
}

// `npm run build`; `--if-stale` (npm start) skips a build that is current.
if (import.meta.filename === resolve(process.argv[1] ?? "")) {
  if (process.argv.includes("--if-stale") && isBuildCurrent()) process.exit(0);
  const result = await buildAll();
  for (const { file, bytes } of result.files) console.log(`  ${file.padEnd(28)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB`);
  console.log(`built in ${result.ms} ms`);
}
