import { execFileSync } from "node:child_process";
import { toASCII } from "tr46";
import { describe, expect, it } from "vitest";
import { isDomainName } from "./cross-checks.ts";

// What isDomainName answered when every name went through tr46.
const throughTr46 = (text: string): boolean => {
  if (text.endsWith(".")) return false;
  const ascii = toASCII(text, { checkHyphens: true, checkBidi: true, checkJoiners: true, useSTD3ASCIIRules: true, verifyDNSLength: true });
  return ascii !== null && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(ascii);
};

describe("isDomainName", () => {
  it("answers as UTS #46 does, letter-digit-hyphen names included", () => {
    const label63 = "a".repeat(63);
    const names = [
      "localhost", "EXAMPLE.com", "a.b-c.d0", "0.1", "a", "-a.example", "a-.example", "ab--c.example", "xn--4ca0bs.example",
      "xn--a.example", "XN--4CA0BS.example", "a..b", ".a", "a_b.example", "a b", "", `${label63}.example`, `${label63}a.example`,
      [label63, label63, label63, "a".repeat(61)].join("."), [label63, label63, label63, "a".repeat(62)].join("."),
      "äöü.example", "ＥＸＡＭＰＬＥ．com", "faß.de", "trailing.example.", "192.0.2.1",
    ];
    for (const name of names) expect(isDomainName(name), name).toBe(throughTr46(name));
  });

  it("does not load tr46 (its mapping table is about 1 MiB of heap) for a configuration of letter-digit-hyphen domains", () => {
    const script = `
      import { createRequire } from "node:module";
      const { loadConfig } = await import(${JSON.stringify(new URL("./index.ts", import.meta.url).href)});
      const config = loadConfig({ env: { XMPPD__domains: '["Example.com","chat.example.org"]' } });
      const tr46 = Object.keys(createRequire(import.meta.url).cache).some((f) => /[\\\\/]tr46[\\\\/]index\\.js$/.test(f));
      console.log(JSON.stringify({ tr46, domains: config.domains }));`;
    const out = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" })) as unknown;
    expect(out).toEqual({ tr46: false, domains: ["Example.com", "chat.example.org"] });
  });
});
