import { describe, it, expect } from "vitest";
import { iqResult } from "@xmppd/stanza";
import { xml } from "@xmppd/xml";
import { ask, canonical, expectedError, hostWith } from "./testing.ts";
import { createModuleHost } from "./module-host.ts";
import type { XmppModule } from "./types.ts";

const echo: XmppModule = {
  name: "echo",
  xeps: [],
  setup: () => ({
    iq: [
      { type: "get", xmlns: "urn:test:echo", name: "echo", handler: (iq) => iqResult(iq, xml("echo", { xmlns: "urn:test:echo" }, "hi")) },
      { type: "set", xmlns: "urn:test:echo", name: "boom", handler: () => Promise.reject(new Error("boom")) },
      { type: "get", xmlns: "urn:test:echo", name: "decline", handler: () => null },
    ],
    discoFeatures: ["urn:test:echo"],
  }),
};

const iq = (type: string, payload: string, id = "i1") => `<iq type="${type}" id="${id}" from="a@example.com/r" to="example.com">${payload}</iq>`;

describe("ModuleHost", () => {
  const host = hostWith(echo);

  it("routes by type, payload name and namespace", async () => {
    expect(await ask(host, iq("get", `<echo xmlns="urn:test:echo"/>`))).toBe(
      canonical(`<iq type="result" id="i1" from="example.com" to="a@example.com/r"><echo xmlns="urn:test:echo">hi</echo></iq>`),
    );
    const wrongType = iq("set", `<echo xmlns="urn:test:echo"/>`);
    expect(await ask(host, wrongType)).toBe(expectedError(wrongType, "service-unavailable"));
  });

  it("answers service-unavailable for an unknown namespace or a declining handler", async () => {
    const unknown = iq("get", `<query xmlns="urn:test:nothing"/>`);
    expect(await ask(host, unknown)).toBe(expectedError(unknown, "service-unavailable"));
    const declined = iq("get", `<decline xmlns="urn:test:echo"/>`);
    expect(await ask(host, declined)).toBe(expectedError(declined, "service-unavailable"));
  });

  it("answers internal-server-error when a handler throws, and reports it", async () => {
    const seen: string[] = [];
    const h = createModuleHost({ domains: ["example.com"], onHandlerError: (_e, key) => seen.push(key) });
    h.load(echo);
    const boom = iq("set", `<boom xmlns="urn:test:echo"/>`);
    expect(await ask(h, boom)).toBe(expectedError(boom, "internal-server-error"));
    expect(seen).toEqual(["set/boom/urn:test:echo"]);
  });

  it("answers bad-request unless a get/set has exactly one payload and an id (RFC 6120 §8.2.3)", async () => {
    for (const bad of [
      iq("get", ""),
      iq("get", `<echo xmlns="urn:test:echo"/><echo xmlns="urn:test:echo"/>`),
      iq("bogus", `<echo xmlns="urn:test:echo"/>`),
      `<iq type="get" from="a@example.com/r" to="example.com"><echo xmlns="urn:test:echo"/></iq>`,
    ]) {
      expect(await ask(host, bad)).toBe(expectedError(bad, "bad-request"));
    }
  });

  it("never answers a result or an error", async () => {
    expect(await ask(host, iq("result", ""))).toBeNull();
    expect(await ask(host, iq("error", `<echo xmlns="urn:test:echo"/>`))).toBeNull();
  });

  it("refuses a second module with a taken name or IQ key, and unloads cleanly", async () => {
    const h = hostWith(echo);
    expect(() => h.load(echo)).toThrow(/already loaded/);
    expect(() => h.load({ ...echo, name: "echo2" })).toThrow(/already registered/);
    expect(h.unload("echo")).toBe(true);
    expect(h.unload("echo")).toBe(false);
    expect(h.loaded()).toEqual([]);
    const gone = iq("get", `<echo xmlns="urn:test:echo"/>`);
    expect(await ask(h, gone)).toBe(expectedError(gone, "service-unavailable"));
  });
});
