import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "xmppd-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function yamlFile(text: string): string {
  const path = join(dir, `c${fileCount++}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe("loadConfig precedence", () => {
  it("uses defaults with no file and no env", () => {
    const config = loadConfig({ env: {} });
    expect(config.domains).toEqual(["localhost"]);
    expect(config.gateway.c2sPort).toBe(5222);
    expect(config.gateway.tls.required).toBe(true);
    expect(config.nats.url).toBeUndefined();
  });

  it("lets the file override defaults and env override the file", () => {
    const file = yamlFile("gateway:\n  c2sPort: 6000\n  httpPort: 6001\nlog:\n  level: debug\n");
    const config = loadConfig({ file, env: { XMPPD__gateway__c2sPort: "6222", LOG_LEVEL: "warn" } });
    expect(config.gateway.c2sPort).toBe(6222);
    expect(config.gateway.httpPort).toBe(6001);
    expect(config.log.level).toBe("warn");
  });

  it("reads the file named by XMPPD_CONFIG, and the file option wins over it", () => {
    const fromEnv = yamlFile("cluster: fromenv\n");
    const fromOption = yamlFile("cluster: fromoption\n");
    expect(loadConfig({ env: { XMPPD_CONFIG: fromEnv } }).cluster).toBe("fromenv");
    expect(loadConfig({ file: fromOption, env: { XMPPD_CONFIG: fromEnv } }).cluster).toBe("fromoption");
  });

  it("maps the conventional URL variables and lets XMPPD__ win over them", () => {
    const config = loadConfig({
      env: {
        NATS_URL: "nats://n:4222",
        REDIS_URL: "redis://r:6379",
        DATABASE_URL: "postgres://d/x",
        AMP_DATABASE_URL: "postgres://a/y",
        XMPPD__redis__url: "redis://generic:6379",
      },
    });
    expect(config.nats.url).toBe("nats://n:4222");
    expect(config.redis.url).toBe("redis://generic:6379");
    expect(config.database.url).toBe("postgres://d/x");
    expect(config.amp.databaseUrl).toBe("postgres://a/y");
  });

  it("parses JSON values and keeps text for string keys", () => {
    const config = loadConfig({
      env: {
        XMPPD__gateway__tls__required: "false",
        XMPPD__domains: '["a.example","b.example"]',
        XMPPD__gateway__name: "123",
        XMPPD__dataDir: '"/var/lib/x"',
      },
    });
    expect(config.gateway.tls.required).toBe(false);
    expect(config.domains).toEqual(["a.example", "b.example"]);
    expect(config.gateway.name).toBe("123");
    expect(config.dataDir).toBe("/var/lib/x");
  });

  it("merges a section given as JSON into the file's section", () => {
    const file = yamlFile("gateway:\n  tls:\n    certFile: /c.pem\n    keyFile: /k.pem\n");
    const config = loadConfig({ file, env: { XMPPD__gateway__tls: '{"required":false}' } });
    expect(config.gateway.tls).toEqual({ required: false, certFile: "/c.pem", keyFile: "/k.pem", certificates: [] });
  });

  it("returns a deeply frozen object", () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.gateway.limits)).toBe(true);
    expect(Object.isFrozen(config.domains)).toBe(true);
    expect(() => {
      (config.gateway as { c2sPort: number }).c2sPort = 1;
    }).toThrow(TypeError);
  });
});
