import { describe, it, expect } from "vitest";
import { decodeSaslData, encodeSaslData } from "./sasl-codec.ts";

describe("SASL data encoding (RFC 6120 §6.4.2)", () => {
  it("reads '=' and nothing as empty, base64 as bytes, and rejects garbage", () => {
    expect(decodeSaslData("=")).toEqual(Buffer.alloc(0));
    expect(decodeSaslData("")).toEqual(Buffer.alloc(0));
    expect(decodeSaslData("aGk=")?.toString()).toBe("hi");
    expect(decodeSaslData("aGk")).toBeNull();
    expect(decodeSaslData("a*b=")).toBeNull();
    expect(decodeSaslData("aG k=")).toBeNull();
  });

  it("writes empty data as '='", () => {
    expect(encodeSaslData(Buffer.alloc(0))).toBe("=");
    expect(encodeSaslData(Buffer.from("hi"))).toBe("aGk=");
  });
});
