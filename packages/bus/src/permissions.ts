// Who may publish and subscribe to what on the bus: the one table every NATS server config
// (docker-compose, Kubernetes, tests, `npm run cluster`) and docs/security.md are generated from
// (nats-server-config.ts, scripts/bus-secrets.ts), so they cannot drift apart.
//
// A gateway is confined to its own name: it publishes envelopes and beacons only under its name
// (routers believe the subject, not the payload) and reads only its own inbox. It has no inbox
// for replies and no JetStream: it cannot read another gateway's deliveries, a router's
// envelopes, the AMP work queue or anyone's request replies. The private tier's roles are
// shared by their processes, which are interchangeable and scale freely.
import { claimNames } from "./nats-batch-loop.ts";
import type { Subjects } from "./subjects.ts";

export type BusRole = "gateway" | "router" | "amp-worker" | "admin";

export interface BusPermissions {
  publish: string[];
  subscribe: string[];
}

/** One NATS identity: a role, and for a gateway the name it may act as. */
export interface BusIdentity {
  role: BusRole;
  /** Gateways only: the `gateway.name` the credentials are issued for. */
  gateway?: string;
}

/** Replies to the private tier's requests (JetStream API, publish acknowledgements, pulls). */
const INBOX = "_INBOX.>";

export function busPermissions(s: Subjects, who: BusIdentity): BusPermissions {
  const p = `${s.prefix}.v1`;
  const stream = s.ampStream();
  // JetStream API of the AMP work queue only: create/update/inspect its stream and consumers,
  // pull its messages and acknowledge them. No other stream, no account-wide calls but INFO.
  const jetstream = [
    "$JS.API.INFO",
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.STREAM.UPDATE.${stream}`,
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.CONSUMER.*.${stream}`,
    `$JS.API.CONSUMER.*.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
  ];
  // Workers claim partitions in a KV bucket of their own and announce themselves to each other
  // (partition-claims.ts).
  const claims = claimNames({ stream, subjectPrefix: s.ampSubjectPrefix() });
  const kv = `KV_${claims.bucket}`;
  const claimApi = [
    `$JS.API.STREAM.CREATE.${kv}`, `$JS.API.STREAM.UPDATE.${kv}`, `$JS.API.STREAM.INFO.${kv}`,
    `$JS.API.STREAM.MSG.GET.${kv}`, `$JS.API.DIRECT.GET.${kv}.>`, `$KV.${claims.bucket}.>`, claims.members,
  ];
  const consume = [`$JS.API.CONSUMER.MSG.NEXT.${stream}.>`, `$JS.ACK.${stream}.>`, ...claimApi];
  const toGateways = `${p}.gateway.*.*`;
  switch (who.role) {
    case "gateway": {
      const name = gatewayToken(who.gateway);
      return {
        publish: [`${p}.router.*.${name}.*`, `${p}.heartbeat.gateway.${name}.*`],
        subscribe: [`${p}.gateway.${name}.*`, s.routerHeartbeat(), s.gatewayGone(), s.reregister()],
      };
    }
    case "router":
      return {
        publish: [toGateways, s.routerHeartbeat(), s.gatewayGone(), s.reregister(), `${s.ampSubjectPrefix()}.>`, ...jetstream],
        subscribe: [`${p}.router.*.*.*`, s.gatewayHeartbeats(), s.gatewayGone(), INBOX],
      };
    case "amp-worker":
      return { publish: [toGateways, ...jetstream, ...consume], subscribe: [INBOX, claims.members] };
    case "admin":
      // The admin CLI closes sessions (kick) and reads the work queue's state (amp-queue, stats).
      return { publish: [toGateways, ...jetstream], subscribe: [INBOX] };
  }
}

function gatewayToken(name: string | undefined): string {
  if (name === undefined || !/^[a-z0-9][a-z0-9_-]{0,49}$/.test(name)) throw new Error(`a gateway identity needs a valid gateway name, got ${JSON.stringify(name)}`);
  return name;
}

/** A readable label for an identity: `gateway:<name>`, `router`, ... */
export function identityLabel(who: BusIdentity): string {
  return who.role === "gateway" ? `gateway:${who.gateway}` : who.role;
}
