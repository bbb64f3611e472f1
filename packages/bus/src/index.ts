export type * from "./types.ts";
export type * from "./envelopes.ts";
export { encode, decode } from "./envelopes.ts";
export { gatewayId, gatewayName, subjects, type AmpWorkKind, type Subjects } from "./subjects.ts";
export { PayloadTooLargeError, BusError, type HandlerErrorReporter } from "./errors.ts";
export { createMemoryBus, type MemoryBusOptions } from "./memory-bus.ts";
export { createNatsBus, type NatsBus, type NatsBusOptions } from "./nats-bus.ts";
export { partitionOf } from "./partition.ts";
export { ampQueue, type AmpQueue } from "./amp-queue.ts";
