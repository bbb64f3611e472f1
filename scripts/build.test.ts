import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILD_ENTRIES, ROOT, RUNTIME_FLAGS, distFile, ensureBuilt, isBuildCurrent, sourceOfDist } from "./build.ts";

describe("npm run build", () => {
  it("maps each bundle to its entry point and nothing else", () => {
    for (const name of Object.keys(BUILD_ENTRIES) as (keyof typeof BUILD_ENTRIES)[]) expect(sourceOfDist(distFile(name))).toBe(BUILD_ENTRIES[name]);
    expect(sourceOfDist("dist/other.js")).toBeUndefined();
    expect(sourceOfDist("services/admin/src/main.ts")).toBeUndefined();
  });

  it("npm start runs the standalone bundle with the image's flags, building first only when stale", () => {
    const start = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start;
    // exec: the server replaces the shell, so the SIGTERM npm passes on reaches it (test/signals.test.ts).
    expect(start).toBe(`node --import tsx scripts/build.ts --if-stale && exec node ${RUNTIME_FLAGS.join(" ")} ${distFile("standalone")}`);
  });

  it("makes bundles that run from dist/ with the migrations compiled in and our packages inlined", async () => {
    await ensureBuilt();
    expect(isBuildCurrent()).toBe(true);
    const help = execFileSync(process.execPath, [distFile("admin"), "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(help).toMatch(/register/);
    const router = readFileSync(join(ROOT, distFile("router")), "utf8");
    for (const set of ["core", "amp"]) {
      for (const file of readdirSync(join(ROOT, "packages/storage/src/migrations", set))) expect(router, `${set}/${file}`).toContain(JSON.stringify(file));
    }
    expect(router).not.toMatch(/from "@xmppd\//);
    // One byte per character in V8's heap (oneByte()).
    for (const name of Object.keys(BUILD_ENTRIES) as (keyof typeof BUILD_ENTRIES)[]) {
      expect(readFileSync(join(ROOT, distFile(name)), "utf8"), name).not.toMatch(/[^\u0000-\u00ff]/);
    }
  }, 60_000);
});
