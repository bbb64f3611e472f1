import { describe, it, expect } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { loadPem, secureContextFor } from "./tls-context.ts";

describe("loadPem", () => {
  it("generates a self-signed certificate for the domains once and reuses it", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "gw-tls-"));
    try {
      const first = await loadPem({ domains: ["example.test", "chat.example.test"], dataDir });
      const cert = new X509Certificate(first.cert);
      expect(cert.subjectAltName).toContain("DNS:example.test");
      expect(cert.subjectAltName).toContain("DNS:chat.example.test");
      expect(() => secureContextFor(first)).not.toThrow();
      const second = await loadPem({ domains: ["example.test"], dataDir });
      expect(second).toEqual(first);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses half a configured pair", async () => {
    await expect(loadPem({ domains: ["x"], dataDir: "/nonexistent", certFile: "/a.crt" })).rejects.toThrow(/both certFile and keyFile/);
  });
});
