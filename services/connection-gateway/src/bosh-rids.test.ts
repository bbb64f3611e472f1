import { describe, expect, it } from "vitest";
import { RidWindow } from "./bosh-rids.ts";

describe("BOSH request ids (XEP-0124 §14)", () => {
  it("takes requests in rid order whatever order they arrive in", () => {
    const w = new RidWindow<string>(11, 2);
    expect(w.offer(12, "b", 0)).toEqual({ kind: "queued", ready: [] });
    expect(w.offer(11, "a", 0)).toEqual({ kind: "queued", ready: ["a", "b"] });
    expect(w.waiting).toBe(0);
  });

  it("knows retransmissions, repeats of a waiting request and rids beyond the window", () => {
    const w = new RidWindow<string>(11, 2);
    w.offer(11, "a", 0);
    expect(w.offer(11, "a again", 0)).toEqual({ kind: "retransmission" });
    expect(w.offer(13, "c", 0)).toEqual({ kind: "queued", ready: [] });
    expect(w.offer(13, "c again", 0)).toEqual({ kind: "repeat", previous: "c" });
    expect(w.offer(14, "d", 0)).toEqual({ kind: "beyond" });
    expect(w.drain()).toEqual(["c again"]);
  });

  it("refuses more simultaneous requests than allowed (§11)", () => {
    const w = new RidWindow<string>(11, 2);
    expect(w.offer(12, "b", 1)).toEqual({ kind: "queued", ready: [] });
    expect(w.offer(11, "a", 1)).toEqual({ kind: "overactive" });
    expect(w.offer(11, "a", 0)).toEqual({ kind: "queued", ready: ["a", "b"] });
  });
});
