// docs/configuration.md is generated from the configuration schema: it must be exactly what
// `npm run docs:config` writes now, so a key added, removed, re-typed, re-defaulted or
// re-described without regenerating the page fails here.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { configKeys } from "@xmppd/config";
import { CONFIG_DOC, renderConfigDocs, typeOf } from "./config-docs.ts";

const ROOT = resolve(import.meta.dirname, "..");

describe(CONFIG_DOC, () => {
  it("is up to date with the schema (run `npm run docs:config`)", () => {
    expect(readFileSync(join(ROOT, CONFIG_DOC), "utf8")).toBe(renderConfigDocs());
  });

  it("has one row per key, each with a type, a default, its environment variables and a description", () => {
    const rows = renderConfigDocs().split("\n").filter((l) => /^\| `[a-zA-Z]/.test(l));
    expect(rows).toHaveLength(configKeys().length);
    for (const row of rows) {
      const [, key, type, def, env, doc] = row.split(/(?<!\\)\|/).map((c) => c.trim());
      expect([key, type, def, env, doc].every((c) => c !== undefined && c !== ""), row).toBe(true);
      expect(env, row).toContain(`XMPPD__${key!.replace(/`/g, "").split(".").join("__")}`);
    }
    const page = renderConfigDocs();
    expect(page).toContain("| `gateway.c2sPort` | integer 0–65535 | `5222` | `XMPPD__gateway__c2sPort` | c2s TCP port (STARTTLS). |");
    expect(page).toContain("| `database.url` | string | *unset* | `DATABASE_URL`, `DATABASE_URL_FILE`, `XMPPD__database__url` |");
    expect(page).toContain("| `amp.security` | `\"strict\"`, `\"performance\"` or `\"none\"` | `\"strict\"` | `XMPPD__amp__security` |");
  });

  it("names types from the JSON Schema of the input", () => {
    expect(typeOf({ type: "integer", exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER })).toBe("integer ≥ 1");
    expect(typeOf({ type: "array", minItems: 1, items: { type: "string", minLength: 1 } })).toBe("non-empty list of non-empty string");
    expect(typeOf({ type: "object", additionalProperties: { enum: ["a", "b"] } })).toBe('map of name to `"a"` or `"b"`');
  });
});
