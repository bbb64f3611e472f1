import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "xmppd-config-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secret(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split("\n").slice(1);
  }
  throw new Error("expected a ConfigError");
}

describe("<NAME>_FILE variables", () => {
  it("read each credentialed URL from its file, without the trailing newline", () => {
    const config = loadConfig({
      env: {
        REDIS_URL_FILE: secret("redis", "redis://xmppd-router:p%40ss@redis:6379\n"),
        DATABASE_URL_FILE: secret("db", "postgres://xmppd_router:pw@db/xmppd\r\n"),
        AMP_DATABASE_URL_FILE: secret("amp", "postgres://xmppd_amp:pw@db/amp"),
        NATS_URL_FILE: secret("nats", "nats://nats:4222\n\n"),
      },
    });
    expect(config.redis.url).toBe("redis://xmppd-router:p%40ss@redis:6379");
    expect(config.database.url).toBe("postgres://xmppd_router:pw@db/xmppd");
    expect(config.amp.databaseUrl).toBe("postgres://xmppd_amp:pw@db/amp");
    expect(config.nats.url).toBe("nats://nats:4222");
  });

  it("treat an empty variable as unset, like the plain ones", () => {
    const config = loadConfig({ env: { REDIS_URL: "redis://a:6379", REDIS_URL_FILE: "" } });
    expect(config.redis.url).toBe("redis://a:6379");
  });

  it("refuse the variable and its _FILE together, naming both", () => {
    expect(problems({ DATABASE_URL: "postgres://a/b", DATABASE_URL_FILE: secret("both", "postgres://c/d") })).toEqual([
      "database.url: set by both DATABASE_URL and DATABASE_URL_FILE (unset one of them) [from env DATABASE_URL_FILE]",
    ]);
  });

  it("name a missing or empty file and the variable that points at it", () => {
    const missing = join(dir, "nope");
    const empty = secret("empty", "\n");
    expect(problems({ REDIS_URL_FILE: missing, AMP_DATABASE_URL_FILE: empty })).toEqual([
      `redis.url: cannot read ${missing} (ENOENT) (point REDIS_URL_FILE at a readable file) [from env REDIS_URL_FILE]`,
      `amp.databaseUrl: ${empty} is empty (put the value in the file, or unset AMP_DATABASE_URL_FILE) [from env AMP_DATABASE_URL_FILE]`,
    ]);
  });

  it("name an unreadable file", () => {
    const locked = secret("locked", "redis://x");
    chmodSync(locked, 0o000);
    // root reads anything: then there is nothing to refuse.
    if (process.getuid?.() === 0) return;
    expect(problems({ REDIS_URL_FILE: locked })).toEqual([
      `redis.url: cannot read ${locked} (EACCES) (point REDIS_URL_FILE at a readable file) [from env REDIS_URL_FILE]`,
    ]);
  });

  it("are not read for variables that carry no credentials", () => {
    expect(loadConfig({ env: { LOG_LEVEL_FILE: secret("level", "debug") } }).log.level).not.toBe("debug");
  });
});
