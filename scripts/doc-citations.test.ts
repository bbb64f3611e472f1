// What the code and the docs cite must be in this repository: no citation of a design document
// outside it (../shared or shared/, ARCHITECTURE.md, AMP.md, STYLE.md); every `docs/architecture.md
// "Section"` or `docs/architecture.md invariant N` names a heading or an invariant that
// docs/architecture.md has; every XEP-0079 decision DP-NN has its heading in docs/amp-decisions.md.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const CHECKED = /\.(ts|md|ya?ml)$/;
const SELF = "scripts/doc-citations.test.ts";
const SKIP_DIRS = new Set(["node_modules", "dist", ".git", "coverage", "data"]);

/** The tracked files (git ls-files), or every file outside the skipped folders when git is absent. */
function repoFiles(): string[] {
  try {
    return execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  } catch {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) walk(join(dir, entry.name));
        else if (entry.isFile()) out.push(relative(ROOT, join(dir, entry.name)));
      }
    };
    walk(ROOT);
    return out;
  }
}

const files = repoFiles()
  .filter((f) => CHECKED.test(f) && f !== SELF && !f.split("/").includes("node_modules"))
  .filter((f) => existsSync(join(ROOT, f)))
  .map((path) => ({ path, text: readFileSync(join(ROOT, path), "utf8") }));

const arch = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
const headings = new Set([...arch.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*$/gm)].map((m) => m[1]!));
const invariantsSection = /^## Invariants\n([\s\S]*?)(?=^## )/m.exec(arch)?.[1] ?? "";
const invariants = new Set([...invariantsSection.matchAll(/^(\d+)\. /gm)].map((m) => Number(m[1])));

const decisionsDoc = readFileSync(join(ROOT, "docs/amp-decisions.md"), "utf8");
const decisions = new Set([...decisionsDoc.matchAll(/^#{2,4}[ \t]+DP-(\d{2})\b/gm)].map((m) => m[1]!));

const lineOf = (text: string, index: number): number => text.slice(0, index).split("\n").length;

it("reads the files it checks", () => {
  expect(files.length).toBeGreaterThan(50);
  expect(files.some((f) => f.path === "README.md")).toBe(true);
  expect(headings).toContain("Limits");
  expect([...invariants]).toEqual([1, 2, 3, 4, 5, 6]);
  expect([...decisions]).toEqual(Array.from({ length: 24 }, (_, i) => String(i + 1).padStart(2, "0")));
});

it("cites no design document outside the repository", () => {
  const found: string[] = [];
  for (const { path, text } of files) {
    for (const m of text.matchAll(/\bshared\/|\bARCHITECTURE\b|\bAMP\.md\b|\bSTYLE\.md\b/g)) found.push(`${path}:${lineOf(text, m.index)}: ${m[0]}`);
  }
  expect(found, "cite docs/architecture.md, docs/amp-decisions.md, docs/metrics.md (or another page in docs/) instead").toEqual([]);
});

it("cites only XEP-0079 decisions that docs/amp-decisions.md has a heading for", () => {
  const missing: string[] = [];
  let cited = 0;
  for (const { path, text } of files) {
    for (const m of text.matchAll(/\bDP-(\d+)\b/g)) {
      cited++;
      if (!decisions.has(m[1]!)) missing.push(`${path}:${lineOf(text, m.index)}: DP-${m[1]}`);
    }
  }
  expect(cited).toBeGreaterThan(50);
  expect(missing, `headings: DP-${[...decisions].join(", DP-")}`).toEqual([]);
});

it('names only headings of docs/architecture.md in `docs/architecture.md "Section"`', () => {
  const missing: string[] = [];
  let cited = 0;
  for (const { path, text } of files) {
    // The name may wrap onto the next line of a comment or paragraph.
    for (const m of text.matchAll(/docs\/architecture\.md`?\s+"([^"]+)"/g)) {
      cited++;
      const name = m[1]!.replace(/\s*(?:\/\/|\*|#)?\s*\n\s*(?:\/\/|\*|#)?\s*/g, " ").trim();
      if (!headings.has(name)) missing.push(`${path}:${lineOf(text, m.index)}: "${name}"`);
    }
  }
  expect(cited).toBeGreaterThan(0);
  expect(missing, `headings: ${[...headings].join(", ")}`).toEqual([]);
});

it("names only invariants that docs/architecture.md numbers", () => {
  const missing: string[] = [];
  for (const { path, text } of files) {
    for (const m of text.matchAll(/docs\/architecture\.md`?\)?\s+\(?invariant (\d+)/g)) {
      if (!invariants.has(Number(m[1]))) missing.push(`${path}:${lineOf(text, m.index)}: invariant ${m[1]}`);
    }
  }
  expect(missing).toEqual([]);
});

it("docs/architecture.md states the tiers, the flows and the invariants a reader needs", () => {
  for (const heading of ["Three tiers", "Flows", "Invariants", "Limits", "Operations"]) expect(headings, heading).toContain(heading);
  for (const service of ["connection-gateway", "session-router", "amp-worker"]) expect(arch).toContain(`services/${service}`);
  const statement = (n: number): string => new RegExp(`^${n}\\. ([\\s\\S]*?)(?=^\\d+\\. |(?![\\s\\S]))`, "m").exec(invariantsSection)?.[1]?.replace(/\s+/g, " ") ?? "";
  // Nothing acknowledged is lost; per-connection and per-account order; the private tier
  // believes no gateway's claim; the DMZ holds no database credentials; bounds end in backpressure.
  expect(statement(1)).toMatch(/No message the server has taken responsibility for is lost.*acknowledges the stanza/);
  expect(statement(2)).toMatch(/Order per connection.*per account/);
  expect(statement(3)).toMatch(/does not trust a gateway's claims/);
  expect(statement(5)).toMatch(/no secret but its TLS key and its NATS credentials.*reaches no storage driver/);
  expect(arch).toMatch(/The gateway never gets database or Redis credentials/);
  expect(statement(6)).toMatch(/Every queue is bounded.*pushes back/);
});
