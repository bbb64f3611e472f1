// The README's promises: its configuration example loads, and the commands it names exist.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { loadConfig } from "@xmppd/config";

const ROOT = resolve(import.meta.dirname, "..");
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

it("has a configuration example that the loader accepts", () => {
  const example = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  const file = join(mkdtempSync(join(tmpdir(), "readme-")), "config.yaml");
  writeFileSync(file, example!);
  const config = loadConfig({ file, env: {} });
  expect(config.domains).toEqual(["example.com"]);
});

it("names npm scripts that exist, and .ci/run runs the README's test command", () => {
  const scripts = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
  for (const [, name] of readme.matchAll(/npm (?:run )?([a-z:-]+)\b/g)) {
    if (["install", "ci"].includes(name!)) continue;
    expect(scripts, `npm ${name}`).toHaveProperty(name!);
  }
  expect(readme).toContain("npm test");
  expect(readFileSync(join(ROOT, ".ci/run"), "utf8")).toMatch(/^\s*npm test\s*$/m);
});
