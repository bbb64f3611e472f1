export { createAmpWorker, DEFAULT_HANDLERS } from "./app.ts";
export type { AmpWorker, AmpWorkerDeps } from "./app.ts";
export type { HandlerTable, Outcome, WorkContext, WorkHandler } from "./context.ts";
export { PoisonWorkError } from "./context.ts";
export { handleMessage } from "./handlers/message.ts";
export { handleFlush } from "./handlers/flush.ts";
