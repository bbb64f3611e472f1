import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe("createLogger", () => {
  it("writes JSON lines with service and pid", () => {
    const { lines, stream } = capture();
    const log = createLogger({ service: "session-router", level: "info", destination: stream });
    log.info({ user: "alice" }, "bound");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: "session-router", pid: process.pid, user: "alice", msg: "bound", level: 30 });
    expect(typeof lines[0]?.time).toBe("string");
  });

  it("drops lines below the level", () => {
    const { lines, stream } = capture();
    const log = createLogger({ service: "amp-worker", level: "warn", destination: stream });
    log.info("quiet");
    log.debug("quieter");
    log.warn("loud");
    expect(lines.map((l) => l.msg)).toEqual(["loud"]);
  });
});
