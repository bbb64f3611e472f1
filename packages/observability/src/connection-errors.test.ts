import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { connectionErrorLogger } from "./connection-errors.ts";
import { createLogger } from "./logger.ts";

describe("connectionErrorLogger", () => {
  it("logs the first error as JSON at once and then at most one line per interval, counting what it left out", () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    let t = 0;
    const sink = connectionErrorLogger(createLogger({ service: "session-router", level: "info", destination }), "redis", 30_000, () => t);
    const refused = new Error("connect ECONNREFUSED 127.0.0.1:6390");
    for (t = 0; t < 60_000; t += 250) sink(refused);
    expect(lines.map((l) => ({ level: l.level, dependency: l.dependency, msg: l.msg, suppressed: l.suppressed, message: (l.err as { message: string }).message }))).toEqual([
      { level: 40, dependency: "redis", msg: "redis connection error", suppressed: undefined, message: "connect ECONNREFUSED 127.0.0.1:6390" },
      { level: 40, dependency: "redis", msg: "redis connection error", suppressed: 119, message: "connect ECONNREFUSED 127.0.0.1:6390" },
    ]);
  });
});
