import { describe, it, expect } from "vitest";
import { ReadGate } from "./read-gate.ts";

function target() {
  const calls: string[] = [];
  return { calls, pause: () => calls.push("pause"), resume: () => calls.push("resume") };
}

describe("ReadGate", () => {
  it("resumes only when every hold has expired", async () => {
    const t = target();
    const gate = new ReadGate(t);
    gate.hold("bytes", 20);
    gate.hold("stanzas", 60);
    await new Promise((r) => setTimeout(r, 35));
    expect(gate.isPaused()).toBe(true);
    expect(t.calls.filter((c) => c === "resume")).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(gate.isPaused()).toBe(false);
    expect(t.calls.at(-1)).toBe("resume");
  });
});

describe("ReadGate untimed holds", () => {
  it("keeps reading paused until released, and until timed holds are over too", async () => {
    const t = target();
    const gate = new ReadGate(t);
    gate.holdUntilReleased("router");
    gate.hold("bytes", 10);
    await new Promise((r) => setTimeout(r, 30));
    expect(gate.isPaused()).toBe(true);
    expect(t.calls).not.toContain("resume");
    gate.release("router");
    expect(gate.isPaused()).toBe(false);
    expect(t.calls.at(-1)).toBe("resume");
    gate.release("router");
    expect(t.calls.filter((c) => c === "resume")).toHaveLength(1);
  });
});
