import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// Run in a process of its own: which CommonJS modules are loaded is per process.
function loadedAfter(steps: string): { tr46: boolean; out: string } {
  const script = `
    import { createRequire } from "node:module";
    const { parseJid } = await import(${JSON.stringify(new URL("./index.ts", import.meta.url).href)});
    const out = [${steps}].map((j) => parseJid(j).toString()).join(" ");
    const tr46 = Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\\\/]tr46[\\\\/]index\\.js$/.test(f));
    console.log(JSON.stringify({ tr46, out }));`;
  return JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" })) as { tr46: boolean; out: string };
}

describe("tr46 (UTS-46 mapping table, about 1 MiB of heap)", () => {
  it("is not loaded for letter-digit-hyphen domains, IP literals or non-ASCII local and resource parts", () => {
    expect(loadedAfter(`"User@EXAMPLE.com/r", "a@192.0.2.1", "ü@[::1]/ß"`)).toEqual({ tr46: false, out: "user@example.com/r a@192.0.2.1 ü@[::1]/ß" });
  });

  it("is loaded for the first internationalized domain", () => {
    expect(loadedAfter(`"a@example.com", "a@ÄÖÜ.example"`)).toEqual({ tr46: true, out: "a@example.com a@äöü.example" });
  });
});
