// The docs must work for someone who has only this repository: every Markdown link in a tracked
// .md file (README.md, BENCHMARKS.md, docs/, ...) is either a public http(s):// URL or a path
// that resolves, inside the repository, to a file or folder that exists (and, with a #fragment
// into a Markdown file, to one of its headings); and every repository path the docs name in
// code spans (`docs/amp.md`, `k8s/base/config.yaml`) exists. Links are read with marked's lexer,
// so text inside code blocks is not mistaken for a link.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { marked, type Token, type Tokens } from "marked";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
const markdown = tracked.filter((f) => f.endsWith(".md") && !f.split("/").includes("node_modules") && existsSync(join(ROOT, f)));

/** Top-level folders whose paths the docs name in code spans. */
const REPO_DIRS = ["docs", "packages", "services", "scripts", "test", "deploy", "k8s", "bench"];
/** Paths made by a command rather than kept in git (npm run build, bus-secrets, store-secrets). */
const GENERATED = /^(dist\/|deploy\/secrets(\/|$)|k8s\/overlays\/[^/]+\/secrets(\/|$))/;

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/<[^>]+>/g, "").replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

interface Parsed {
  links: { href: string; line: number }[];
  codespans: string[];
  anchors: Set<string>;
}

const cache = new Map<string, Parsed>();

function parse(file: string): Parsed {
  const hit = cache.get(file);
  if (hit) return hit;
  const text = readFileSync(join(ROOT, file), "utf8");
  const tokens = marked.lexer(text);
  const parsed: Parsed = { links: [], codespans: [], anchors: new Set() };
  const seen = new Map<string, number>();
  const lineOf = (raw: string): number => text.slice(0, Math.max(0, text.indexOf(raw))).split("\n").length;
  marked.walkTokens(tokens, (token: Token) => {
    if (token.type === "link") parsed.links.push({ href: (token as Tokens.Link).href, line: lineOf(token.raw) });
    else if (token.type === "codespan") parsed.codespans.push((token as Tokens.Codespan).text);
    else if (token.type === "heading") {
      // Repeated headings get -1, -2, ... as on GitHub.
      const base = slug((token as Tokens.Heading).text);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      parsed.anchors.add(n === 0 ? base : `${base}-${n}`);
    }
  });
  for (const [, def] of Object.entries(tokens.links)) parsed.links.push({ href: def.href, line: lineOf(def.href) });
  cache.set(file, parsed);
  return parsed;
}

/** A host a reader elsewhere can reach: not loopback, a private address or a cluster-internal name. */
function isPublicHost(host: string): boolean {
  if (!host.includes(".") || /^(localhost|127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|\[)/.test(host)) return false;
  return !/\.(local|internal|svc|cluster\.local|example)$/.test(host);
}

/** Why a link from `file` does not work for a reader of the repository alone, or null when it does. */
export function linkProblem(file: string, href: string): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(href)?.[1]?.toLowerCase();
  if (scheme === "mailto") return null;
  if (scheme === "https" || scheme === "http") return isPublicHost(new URL(href).hostname) ? null : `${href}: not a public host`;
  if (scheme !== undefined) return `${href}: only http(s):// links leave the repository`;
  const [path = "", fragment] = href.split("#", 2);
  const target = path === "" ? join(ROOT, file) : resolve(ROOT, dirname(file), decodeURI(path));
  const rel = relative(ROOT, target);
  if (rel.startsWith("..") || resolve(ROOT, rel) !== target) return `${href}: points outside the repository`;
  if (rel.split("/")[0] === "node_modules") return `${href}: points into node_modules`;
  if (!tracked.some((f) => f === rel || f.startsWith(`${rel}/`))) return `${href}: ${rel} is not in the repository`;
  if (fragment !== undefined && rel.endsWith(".md") && !parse(rel).anchors.has(fragment)) return `${href}: ${rel} has no heading #${fragment}`;
  return null;
}

/** A code span that names a path of this repository, e.g. `docs/amp.md` or `k8s/base/`. */
export function repoPathIn(codespan: string): string | null {
  if (/[\s<>*{}$|]/.test(codespan)) return null;
  const path = codespan.replace(/[:,;)]+$/, "");
  if (path.startsWith("../")) return path;
  const top = path.split("/")[0] ?? "";
  if (REPO_DIRS.includes(top) && path.includes("/")) return path.replace(/\/$/, "");
  if (/^[A-Z][A-Z_-]*\.md$/.test(path)) return path;
  return null;
}

describe("links in the Markdown files", () => {
  it("reads the docs", () => {
    expect(markdown).toEqual(expect.arrayContaining(["README.md", "BENCHMARKS.md", "docs/architecture.md", "docs/amp-decisions.md"]));
    expect(markdown.flatMap((f) => parse(f).links).length).toBeGreaterThan(10);
  });

  it("every link is a public http(s):// URL or resolves to a tracked file of the repository", () => {
    const broken = markdown.flatMap((file) =>
      parse(file).links.map(({ href, line }) => ({ where: `${file}:${line}`, problem: linkProblem(file, href) })).filter((l) => l.problem !== null).map((l) => `${l.where}: ${l.problem}`));
    expect(broken).toEqual([]);
  });

  it("every repository path named in a code span of README.md or docs/ exists", () => {
    const docs = markdown.filter((f) => f === "README.md" || f.startsWith("docs/"));
    const missing = docs.flatMap((file) =>
      parse(file).codespans.map(repoPathIn).filter((p): p is string => p !== null)
        .filter((p) => p.startsWith("../") || (!GENERATED.test(p) && !tracked.some((f) => f === p || f.startsWith(`${p}/`))))
        .map((p) => `${file}: \`${p}\``));
    expect(missing).toEqual([]);
  });

  it("the checker itself: catches what leaves the repository or is missing", () => {
    expect(linkProblem("README.md", "docs/amp.md")).toBeNull();
    expect(linkProblem("docs/amp.md", "amp-decisions.md")).toBeNull();
    expect(linkProblem("docs/amp.md", "../README.md")).toBeNull();
    expect(linkProblem("docs/amp.md", "https://xmpp.org/extensions/xep-0079.html")).toBeNull();
    expect(linkProblem("docs/amp.md", "#" + [...parse("docs/amp.md").anchors][0])).toBeNull();
    expect(linkProblem("README.md", "../elsewhere/DESIGN.md")).toMatch(/outside the repository/);
    expect(linkProblem("docs/amp.md", "../../OUTSIDE.md")).toMatch(/outside the repository/);
    expect(linkProblem("README.md", "docs/nothing.md")).toMatch(/not in the repository/);
    expect(linkProblem("README.md", "http://127.0.0.1:5280/http-bind")).toMatch(/not a public host/);
    expect(linkProblem("README.md", "https://nats.xmppd-private.svc:8222/")).toMatch(/not a public host/);
    expect(linkProblem("README.md", "file:///etc/passwd")).toMatch(/only http/);
    expect(linkProblem("README.md", "docs/amp.md#no-such-heading")).toMatch(/no heading/);
    expect(linkProblem("README.md", "node_modules/marked/README.md")).toMatch(/node_modules/);
    expect(repoPathIn("docs/amp.md")).toBe("docs/amp.md");
    expect(repoPathIn("k8s/base/")).toBe("k8s/base");
    expect(repoPathIn("../elsewhere/DESIGN.md")).toBe("../elsewhere/DESIGN.md");
    expect(repoPathIn("gateway.tls.certFile")).toBeNull();
    expect(slug("DP-07: deliver=none, and `offline`")).toBe("dp-07-delivernone-and-offline");
  });
});
