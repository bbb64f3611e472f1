import { describe, it, expect } from "vitest";
import { Admission } from "./admission.ts";

const limits = { connectionsPerIp: 2, newConnectionsPerIpPer10s: 3, connectionsPerGateway: 4 };

describe("Admission", () => {
  it("caps concurrent connections per IP and frees the slot on release", () => {
    const a = new Admission(limits, () => 0);
    expect(a.admit("1.1.1.1")).toBeNull();
    expect(a.admit("1.1.1.1")).toBeNull();
    expect(a.admit("1.1.1.1")).toBe("per-ip");
    a.release("1.1.1.1");
    expect(a.admit("1.1.1.1")).toBeNull();
  });

  it("caps new connections per IP per 10 s even when earlier ones closed", () => {
    let t = 0;
    const a = new Admission(limits, () => t);
    for (let i = 0; i < 3; i++) {
      expect(a.admit("2.2.2.2")).toBeNull();
      a.release("2.2.2.2");
    }
    expect(a.admit("2.2.2.2")).toBe("per-ip-rate");
    t = 10_000;
    expect(a.admit("2.2.2.2")).toBeNull();
  });

  it("caps connections per gateway across IPs", () => {
    const a = new Admission(limits, () => 0);
    for (const ip of ["a", "a", "b", "b"]) expect(a.admit(ip)).toBeNull();
    expect(a.admit("c")).toBe("per-gateway");
  });
});
