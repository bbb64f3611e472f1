import { createHash, X509Certificate } from "node:crypto";
import { generate } from "selfsigned";
import { describe, expect, it } from "vitest";
import { endPointHash, serverEndPoint } from "./channel-binding.ts";

const der = (pem: string) => new X509Certificate(pem).raw;

describe("tls-server-end-point (RFC 5929 §4.1)", () => {
  it.each([
    ["ec", "sha256", "sha256"],
    ["ec", "sha384", "sha384"],
    ["rsa", "sha512", "sha512"],
    ["rsa", "sha1", "sha256"], // MD5 and SHA-1 are replaced by SHA-256
  ] as const)("hashes a %s certificate signed with %s using %s", async (keyType, algorithm, expected) => {
    const pems = await generate([{ name: "commonName", value: "localhost" }], { keyType, algorithm } as never);
    const raw = der(pems.cert);
    expect(endPointHash(raw)).toBe(expected);
    expect(serverEndPoint(raw)).toEqual(createHash(expected).update(raw).digest());
  });

  it("falls back to SHA-256 for what it cannot read", () => {
    expect(endPointHash(Buffer.from([0x30, 0x82]))).toBe("sha256");
  });
});
