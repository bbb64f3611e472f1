import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.ts";

function sink(isTTY: boolean) {
  const written: string[] = [];
  return { written, isTTY, write: (t: string) => written.push(t) };
}

describe("createProgress", () => {
  it("redraws one bar in place on a terminal, once per percent, and ends the line", () => {
    const s = sink(true);
    const p = createProgress(200, s, "processed");
    for (let done = 1; done <= 200; done++) p.update(done);
    p.finish(200);
    expect(s.written.length).toBe(101 + 1 + 1);
    expect(s.written.every((w) => w.startsWith("\r") || w === "\n")).toBe(true);
    expect(s.written.at(-2)).toBe(`\rprocessed [${"#".repeat(30)}] 200/200`);
    expect(s.written[1]).toBe(`\rprocessed [${"-".repeat(30)}] 2/200`);
    expect(s.written.at(-1)).toBe("\n");
  });

  it("prints a plain count every tenth of the way elsewhere, and the final count once", () => {
    const s = sink(false);
    const p = createProgress(95, s, "processed");
    for (let done = 1; done <= 95; done++) p.update(done);
    p.finish(95);
    expect(s.written).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 95].map((n) => `processed ${n}/95\n`));
  });

  it("writes nothing without a sink or rows", () => {
    const s = sink(true);
    createProgress(0, s, "x").finish(0);
    expect(s.written).toEqual([]);
  });
});
