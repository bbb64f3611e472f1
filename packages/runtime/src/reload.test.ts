import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { configSchema, type Config } from "@xmppd/config";
import { createLogger } from "@xmppd/observability";
import { changedKeys, createReload } from "./reload.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: createLogger({ service: "session-router", level: "info", destination }) };
}

describe("SIGHUP reload", () => {
  it("applies log.level to the logger and its children, runs the service's steps and names what needs a restart", async () => {
    const { lines, log } = capture();
    const child = log.child({ component: "session-router" });
    const config = configSchema.parse({});
    let next: Config = configSchema.parse({ log: { level: "debug" }, gateway: { c2sPort: 5223 } });
    const steps: string[] = [];
    const reload = createReload({ log, config, load: () => next, steps: { tls: async () => void steps.push("tls") } });
    await reload();
    expect(steps).toEqual(["tls"]);
    child.debug("now visible");
    expect(lines.map(({ msg, reloaded, failed, logLevel, needsRestart, signal }) => ({ msg, reloaded, failed, logLevel, needsRestart, signal }))).toEqual([
      { msg: "reloaded", signal: "SIGHUP", reloaded: ["tls", "log.level"], failed: [], logLevel: "debug", needsRestart: ["gateway.c2sPort"] },
      { msg: "now visible", reloaded: undefined, failed: undefined, logLevel: undefined, needsRestart: undefined, signal: undefined },
    ]);
    // Quieter: the reload line is still written, then info is filtered.
    next = configSchema.parse({ log: { level: "warn" }, gateway: { c2sPort: 5223 } });
    await reload();
    child.info("filtered");
    expect(lines.at(-1)).toMatchObject({ msg: "reloaded", reloaded: ["tls", "log.level"], logLevel: "warn", needsRestart: [] });
  });

  it("keeps everything when the configuration no longer parses, and a failed step does not stop the others", async () => {
    const { lines, log } = capture();
    const config = configSchema.parse({});
    let broken = true;
    const reload = createReload({
      log, config,
      load: () => {
        if (broken) throw new Error("config: gateway.c2sPort: expected a number");
        return config;
      },
      steps: { tls: () => Promise.reject(new Error("ENOENT: cert.pem")) },
    });
    await reload();
    expect(lines.at(-1)).toMatchObject({ level: 50, msg: "reload: the configuration is invalid; nothing reloaded" });
    broken = false;
    await reload();
    expect(lines.slice(-2).map((l) => l.msg)).toEqual(["reload: tls failed; keeping the previous one", "reloaded"]);
    expect(lines.at(-1)).toMatchObject({ reloaded: [], failed: ["tls"] });
  });

  it("lists changed leaves by dotted path", () => {
    expect(changedKeys({ a: { b: 1, c: [1] }, d: 2 }, { a: { b: 1, c: [2] }, e: 3 })).toEqual(["a.c", "d", "e"]);
  });
});
