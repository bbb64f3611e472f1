// The server operations inside an embedded standalone (npm start): its in-process bus reaches
// the gateway, its session store and PGlite are at hand. The admin endpoint serves them to the CLI.
import { ampQueue, subjects, type Bus } from "@xmppd/bus";
import type { Config } from "@xmppd/config";
import type { SessionStore, SqlClient } from "@xmppd/storage";
import type { QueueStatus } from "./queue-status.ts";
import { createServerOps, gatewayMessage, type ServerOps } from "./server-ops.ts";

export interface EmbeddedDeps {
  config: Config;
  bus: Bus;
  sessions: SessionStore;
  core: SqlClient;
  amp: SqlClient;
}

/** Name of the in-process AMP queue in amp-queue's answer (there is no JetStream stream). */
export const EMBEDDED_QUEUE = "in-process";

export function createEmbeddedServerOps(d: EmbeddedDeps): ServerOps {
  const spec = ampQueue(subjects(d.config.cluster), d.config.amp.partitions, d.config.amp.queue).spec;
  return createServerOps({
    sessions: () => d.sessions,
    async toGateway(gateway, message) {
      const { subject, data } = gatewayMessage(d.config.cluster, gateway, message);
      d.bus.publish(subject, data);
      await d.bus.flush();
    },
    core: () => d.core,
    amp: () => d.amp,
    // The in-process queue keeps no consumer accounts: what it holds is stored and not yet
    // acknowledged, which is what "pending" adds up to on JetStream.
    queue: async () => embeddedQueueStatus(await (await d.bus.workQueue(spec)).pending()),
  });
}

export function embeddedQueueStatus(messages: number): QueueStatus {
  return { stream: EMBEDDED_QUEUE, exists: true, messages, pending: messages, ackPending: 0, redelivered: 0, waiting: 0, consumers: [] };
}
