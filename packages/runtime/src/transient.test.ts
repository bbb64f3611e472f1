import { describe, expect, it } from "vitest";
import { isTransient } from "./transient.ts";
import { WorkQueueFullError } from "@xmppd/bus";

describe("isTransient", () => {
  it("knows a dependency that is away", () => {
    expect(isTransient(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isTransient(new Error("Connection is closed."))).toBe(true);
    expect(isTransient(new Error("Reached the max retries per request limit (which is 20). Refer to \"maxRetriesPerRequest\" option for details."))).toBe(true);
    expect(isTransient(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isTransient(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe(true);
    expect(isTransient(Object.assign(new Error("timeout"), { code: "TIMEOUT" }))).toBe(true);
    expect(isTransient(new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "08006" }) }))).toBe(true);
    expect(isTransient(new Error("Command aborted due to connection close"))).toBe(true);
    expect(isTransient(new Error("WRONGPASS invalid username-password pair or user is disabled."))).toBe(true);
    expect(isTransient(new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })]))).toBe(true);
  });

  it("does not excuse work that is wrong", () => {
    expect(isTransient(new Error("invalid JID"))).toBe(false);
    expect(isTransient(Object.assign(new Error("duplicate key value"), { code: "23505" }))).toBe(false);
    expect(isTransient(Object.assign(new Error("permission denied"), { code: "42501" }))).toBe(false);
    expect(isTransient(new TypeError("x is undefined"))).toBe(false);
    expect(isTransient(null)).toBe(false);
    expect(isTransient("ECONNREFUSED")).toBe(false);
  });

  it("does not retry a full work queue, though NATS said 503", () => {
    // What nats.js throws at max_msgs with discard "new": code "503", err_code 10077.
    const nats = Object.assign(new Error("503"), { code: "503", api_error: { code: 503, err_code: 10077, description: "maximum messages exceeded" } });
    expect(isTransient(nats)).toBe(true);
    expect(isTransient(new WorkQueueFullError("xmpp.v1.amp.p0.message", "messages", { cause: nats }))).toBe(false);
  });
});
