// Metric prefixes follow the short service names of the docs (xmpp_gateway_..., xmpp_router_...).
const SHORT_NAMES: Readonly<Record<string, string>> = {
  "connection-gateway": "gateway",
  "session-router": "router",
  "amp-worker": "amp",
};

/** `connection-gateway` -> `gateway`; anything else lowercased with non [a-z0-9_] as `_`. */
export function metricServiceName(service: string): string {
  const short = SHORT_NAMES[service] ?? service;
  const name = short.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  if (!/^[a-z_]/.test(name)) throw new Error(`service name ${JSON.stringify(service)} cannot start a metric name`);
  return name;
}
