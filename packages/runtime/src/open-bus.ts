// The bus chosen from the configuration: NATS where its URL is set, otherwise the in-process
// bus of the embedded mode (`npm start`). The only adapter a gateway needs.
import { createMemoryBus, createNatsBus, type Bus } from "@xmppd/bus";
import type { Config } from "@xmppd/config";

export async function openBus(config: Config, name: string): Promise<Bus> {
  const { url, seedFile, caFile } = config.nats;
  return url ? createNatsBus({ url, name, seedFile, caFile }) : createMemoryBus();
}
