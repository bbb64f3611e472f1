import { describe, expect, it } from "vitest";
import { configSchema } from "@xmppd/config";
import { requireUrls } from "./require-urls.ts";

describe("requireUrls", () => {
  it("names every missing setting by its environment variable and key", () => {
    const config = configSchema.parse({ nats: { url: "nats://127.0.0.1:4222" } });
    expect(() => requireUrls("amp-worker", config, ["nats", "redis", "database"])).toThrow(
      'amp-worker: REDIS_URL (redis.url), DATABASE_URL (database.url) are not set; set them, or run "npm start" for the single-process embedded mode',
    );
  });

  it("passes when everything needed is set", () => {
    const config = configSchema.parse({ nats: { url: "nats://x" } });
    expect(() => requireUrls("connection-gateway", config, ["nats"])).not.toThrow();
  });
});
