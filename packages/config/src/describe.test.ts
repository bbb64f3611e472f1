import { describe, expect, it } from "vitest";
import { configKeys, describeConfig } from "./describe.ts";
import { KEY_DOCS } from "./key-docs.ts";
import { leafPaths } from "./schema-walk.ts";

describe("describeConfig", () => {
  it("has a doc line for exactly the schema's keys", () => {
    expect(Object.keys(KEY_DOCS).sort()).toEqual(leafPaths().sort());
  });

  it("renders each key with its default, env variables and doc", () => {
    const text = describeConfig();
    expect(text.split("\n")).toHaveLength(leafPaths().length);
    expect(text).toContain("- `gateway.c2sPort` = 5222 (env XMPPD__gateway__c2sPort): c2s TCP port (STARTTLS).");
    expect(text).toContain("- `nats.url` = unset (env NATS_URL, NATS_URL_FILE, XMPPD__nats__url): ");
    expect(configKeys().find((k) => k.path === "domains")?.defaultValue).toEqual(["localhost"]);
  });
});
