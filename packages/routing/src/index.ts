export { decide, mostAvailable, normalType } from "./decide.ts";
export type { Decision, StanzaKind } from "./decide.ts";
export { messageType } from "./message-type.ts";
export { createOrderKeys } from "./order-keys.ts";
