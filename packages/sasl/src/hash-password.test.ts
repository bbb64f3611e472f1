import { describe, expect, it } from "vitest";
import { scramClient } from "./client.ts";
import { hashPassword, hashPasswordAsync } from "./hash-password.ts";
import { createMechanism } from "./mechanism.ts";

describe("hashPassword", () => {
  it("makes both credentials with separate random 16-byte salts", () => {
    const a = hashPassword("secret", { iterations: 4100 });
    const b = hashPassword("secret", { iterations: 4100 });
    for (const name of ["SCRAM-SHA-1", "SCRAM-SHA-256"] as const) {
      expect(a[name].iterations).toBe(4100);
      expect(Buffer.from(a[name].salt, "base64")).toHaveLength(16);
      expect(a[name].salt).not.toBe(b[name].salt);
    }
    expect(Buffer.from(a["SCRAM-SHA-1"].storedKey, "base64")).toHaveLength(20);
    expect(Buffer.from(a["SCRAM-SHA-256"].serverKey, "base64")).toHaveLength(32);
    expect(a["SCRAM-SHA-1"].salt).not.toBe(a["SCRAM-SHA-256"].salt);
    expect(hashPassword("x")["SCRAM-SHA-256"].iterations).toBe(4096);
  });

  it("SASLpreps the password, so a non-ASCII space matches U+0020", async () => {
    const creds = hashPassword("correct\u00a0horse");
    const lookup = async () => creds;
    for (const typed of ["correct horse", "correct\u2002horse"]) {
      const client = scramClient("SCRAM-SHA-256", "user", typed);
      const server = createMechanism("SCRAM-SHA-256", lookup);
      const challenge = await server.step(client.first());
      const final = await server.step(client.final(challenge.kind === "challenge" ? challenge.data : ""));
      expect(final.kind, typed).toBe("success");
    }
  });

  it("refuses passwords SASLprep rejects and bad iteration counts", () => {
    expect(() => hashPassword("")).toThrow(RangeError);
    expect(() => hashPassword("a\u0000b")).toThrow(RangeError);
    expect(() => hashPassword("ok", { iterations: 0 })).toThrow(RangeError);
  });

  it("derives the same kind of credentials off the event loop, and refuses what SASLprep refuses", async () => {
    const creds = await hashPasswordAsync("r0m30", { iterations: 4100 });
    expect(creds["SCRAM-SHA-1"].iterations).toBe(4100);
    expect(creds["SCRAM-SHA-1"].salt).not.toBe(creds["SCRAM-SHA-256"].salt);
    const client = scramClient("SCRAM-SHA-256", "juliet", "r0m30");
    const server = createMechanism("SCRAM-SHA-256", async () => creds);
    const challenge = await server.step(client.first());
    const final = await server.step(client.final(challenge.kind === "challenge" ? challenge.data : Buffer.alloc(0)));
    expect(final.kind).toBe("success");
    await expect(hashPasswordAsync("\u0007")).rejects.toThrow(RangeError);
  });
});
