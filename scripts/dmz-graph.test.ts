import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { checkDmz } from "./dmz-graph.ts";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const GW = "services/connection-gateway/src";
const trees: string[] = [];
afterEach(() => trees.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A small repository: two workspaces, a gateway that imports @xmppd/runtime, and `files` on top. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "dmz-graph-"));
  trees.push(root);
  const all: Record<string, string> = {
    "package.json": JSON.stringify({ workspaces: ["packages/*", "services/*"] }),
    "packages/runtime/package.json": JSON.stringify({ name: "@xmppd/runtime", exports: { ".": "./src/index.ts" } }),
    "packages/runtime/src/index.ts": 'export { openBus } from "./open-bus.ts";\nexport * from "./adapters.ts";\n',
    "packages/runtime/src/open-bus.ts": 'import { connect } from "nats";\nexport const openBus = connect;\n',
    "packages/runtime/src/adapters.ts": "export {};\n",
    "packages/storage/package.json": JSON.stringify({ name: "@xmppd/storage", exports: { ".": "./src/index.ts" } }),
    "packages/storage/src/index.ts": 'import "ioredis";\nexport type Store = string;\n',
    [`${GW}/main.ts`]: 'import { openBus } from "@xmppd/runtime";\nopenBus();\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("the gateway's import graph", () => {
  it("fails on a transitive path to storage and prints the chain", () => {
    const root = tree({ "packages/runtime/src/adapters.ts": 'import { x } from "@xmppd/storage";\nexport const y = x;\n' });
    expect(checkDmz(root).problems).toEqual([
      `${GW}/main.ts -> @xmppd/runtime -> packages/runtime/src/index.ts -> packages/runtime/src/adapters.ts -> @xmppd/storage: the gateway must not load this`,
    ]);
  });

  it("passes a clean graph and lists the npm packages it reaches", () => {
    const report = checkDmz(tree({}));
    expect(report).toEqual({
      problems: [],
      files: ["packages/runtime/src/adapters.ts", "packages/runtime/src/index.ts", "packages/runtime/src/open-bus.ts", `${GW}/main.ts`],
      npm: ["nats"],
    });
  });

  it("ignores `import type` and `export type` (erased) but not an inline `type` specifier (kept as import {})", () => {
    const erased = 'import type { Store } from "@xmppd/storage";\nexport type { Store as S } from "@xmppd/storage";\n';
    expect(checkDmz(tree({ "packages/runtime/src/adapters.ts": erased })).problems).toEqual([]);
    const kept = 'import { type Store } from "@xmppd/storage";\nexport type S = Store;\n';
    expect(checkDmz(tree({ "packages/runtime/src/adapters.ts": kept })).problems).toHaveLength(1);
  });

  it("catches drivers, relative paths into storage and computed imports; skips the gateway's tests", () => {
    const problems = checkDmz(
      tree({
        [`${GW}/db.ts`]: 'import pg from "pg/lib/client";\nexport default pg;\n',
        [`${GW}/side.ts`]: 'import "../../../packages/storage/src/index.ts";\n',
        [`${GW}/lazy.ts`]: "export const load = (name: string) => import(name);\n",
        [`${GW}/main.test.ts`]: 'import "ioredis";\n',
        [`${GW}/testing/fake.ts`]: 'import "@xmppd/storage";\n',
      }),
    ).problems;
    expect(problems).toEqual([
      `${GW}/db.ts -> pg/lib/client: the gateway must not load this`,
      `${GW}/lazy.ts: import() of a computed specifier cannot be checked`,
      `${GW}/side.ts -> packages/storage/src/index.ts: the gateway must not load this`,
    ]);
  });

  it("makes scripts/check-layers.ts exit 1 with the chain", () => {
    const root = tree({ "packages/runtime/src/adapters.ts": 'export * from "@xmppd/storage";\n' });
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/check-layers.ts", root], { cwd: repo, encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("@xmppd/runtime -> packages/runtime/src/index.ts -> packages/runtime/src/adapters.ts -> @xmppd/storage");
  });

  it("holds in this repository: the gateway reaches runtime and ws, and nothing of the private tier", () => {
    const report = checkDmz(repo);
    expect(report.problems).toEqual([]);
    expect(report.files).toContain("packages/runtime/src/index.ts");
    expect(report.npm).toContain("ws");
  });
});
