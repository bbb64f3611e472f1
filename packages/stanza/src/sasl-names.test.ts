import { describe, expect, it } from "vitest";
import { isPlusMechanism } from "./sasl-names.ts";

describe("isPlusMechanism", () => {
  it("tells the channel-binding variants from the others", () => {
    expect(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "PLAIN"].map(isPlusMechanism)).toEqual([true, true, false, false]);
  });
});
