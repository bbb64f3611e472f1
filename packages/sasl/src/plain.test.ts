import { describe, expect, it } from "vitest";
import { hashPassword } from "./hash-password.ts";
import { createMechanism } from "./mechanism.ts";
import type { CredentialLookup, ScramCredentials } from "./types.ts";

const users = new Map<string, ScramCredentials>([
  ["juliet", hashPassword("r0m30")],
  ["nurse", hashPassword("pen\u00a0cil")], // non-ASCII space, SASLprep maps it to U+0020
]);
const lookups: string[] = [];
const lookup: CredentialLookup = async (name) => (lookups.push(name), users.get(name) ?? null);
const plain = (message: string | Buffer) =>
  createMechanism("PLAIN", lookup).step(typeof message === "string" ? Buffer.from(message) : message);

describe("PLAIN server", () => {
  it("accepts the right password and returns username and authzid", async () => {
    expect(await plain("\0juliet\0r0m30")).toEqual({ kind: "success", username: "juliet" });
    expect(await plain("juliet@example.com\0juliet\0r0m30")).toEqual({
      kind: "success",
      username: "juliet",
      authzid: "juliet@example.com",
    });
  });

  it("refuses a wrong password and an unknown user alike", async () => {
    expect(await plain("\0juliet\0romeo")).toEqual({ kind: "failure", condition: "not-authorized", username: "juliet" });
    expect(await plain("\0ghost\0r0m30")).toEqual({ kind: "failure", condition: "not-authorized", username: "ghost" });
  });

  it("SASLpreps username and password", async () => {
    lookups.length = 0;
    expect((await plain("\0nurse\0pen cil")).kind).toBe("success");
    expect((await plain("\0nurse\0pen\u2003cil")).kind).toBe("success");
    expect((await plain("\0nur\u00adse\0pen\u00a0cil")).kind).toBe("success");
    expect(lookups).toEqual(["nurse", "nurse", "nurse"]);
    expect(await plain("\0nurse\0pen\u0007cil")).toEqual({ kind: "failure", condition: "not-authorized" });
  });

  it.each([
    ["no separators", "julietr0m30"],
    ["one separator", "juliet\0r0m30"],
    ["three separators", "\0juliet\0r0m30\0"],
    ["empty authcid", "\0\0r0m30"],
    ["empty password", "\0juliet\0"],
    ["authcid over 255 bytes", `\0${"a".repeat(256)}\0r0m30`],
    ["prohibited authcid", "\0jul\u0007iet\0r0m30"],
  ])("refuses a malformed message (%s)", async (_label, message) => {
    expect(await plain(message)).toEqual({ kind: "failure", condition: "malformed-request" });
  });

  it("refuses malformed UTF-8", async () => {
    const bad = Buffer.concat([Buffer.from("\0jul"), Buffer.from([0xff]), Buffer.from("\0r0m30")]);
    expect(await plain(bad)).toEqual({ kind: "failure", condition: "malformed-request" });
  });

  it("derives at each credential's own stored iteration count, whatever new credentials get", async () => {
    // Stored at 5000 while the server's setting for new credentials (fakeIterations) says 4096:
    // verification must use the stored 5000, or the derived StoredKey would not match.
    const stored = hashPassword("r0m30", { iterations: 5000 });
    const server = createMechanism("PLAIN", async (name) => (name === "romeo" ? stored : null), { fakeIterations: 4096 });
    expect(await server.step(Buffer.from("\0romeo\0r0m30"))).toEqual({ kind: "success", username: "romeo" });
    expect(stored["SCRAM-SHA-256"].iterations).toBe(5000);
  });

  it("asks for the message with one empty challenge, then ends", async () => {
    const server = createMechanism("PLAIN", lookup);
    expect(await server.step(Buffer.alloc(0))).toEqual({ kind: "challenge", data: Buffer.alloc(0) });
    expect((await server.step(Buffer.from("\0juliet\0r0m30"))).kind).toBe("success");
    expect(await server.step(Buffer.from("\0juliet\0r0m30"))).toEqual({ kind: "failure", condition: "malformed-request" });
  });
});
