// The bus chosen from the configuration: NATS where its URL is set, otherwise the in-process
// bus of the embedded mode (`npm start`). The only adapter a gateway needs.
import { createMemoryBus, createNatsBus, type Bus } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import type { Logger } from "@xmppd/observability";

/** `log`: where a handler's exception and a NATS server error go (else stderr, unstructured). */
export async function openBus(config: Config, name: string, log?: Pick<Logger, "error">): Promise<Bus> {
  const { url, seedFile, caFile } = config.nats;
  const onHandlerError = log ? (err: unknown, subject: string) => log.error({ err, subject }, "bus handler failed") : undefined;
  return url ? createNatsBus({ url, name, seedFile, caFile, onHandlerError }) : createMemoryBus({ onHandlerError });
}
