// The chaos harness (npm run chaos, docs/reliability.md) in miniature, so that it cannot rot: the
// real topology on private servers, six XEP-0198 clients, one short phase with the cheapest fault
// (an AMP worker killed with SIGKILL and started again). It fails on a lost message and on a
// harness that did not get any message accepted; timing and rates are not asserted.
import { describe, expect, it } from "vitest";
import { runChaos } from "../scripts/chaos/run.ts";

describe("chaos harness", () => {
  it("counts every accepted message through an AMP worker's SIGKILL", async () => {
    const lines: string[] = [];
    const report = await runChaos({
      faults: ["amp-worker-kill"], clients: 6, rate: 20, ampShare: 0.5, durationMs: 6000, drainMs: 20_000,
      log: (line) => lines.push(line),
    });
    const [r] = report.results;
    expect(r, lines.join("\n")).toBeDefined();
    expect(r!.accepted, lines.join("\n")).toBeGreaterThan(0);
    expect({ lost: r!.lost, lostIds: r!.lostIds }, lines.join("\n")).toEqual({ lost: 0, lostIds: [] });
    expect(r!.delivered + r!.stored + r!.bounced).toBe(r!.accepted);
  }, 150_000);
});
