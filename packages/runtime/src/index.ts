export { requireUrls, type Requirement } from "./require-urls.ts";
export { openBus, openSessions, openSm, openDatabases, type Databases } from "./adapters.ts";
export { exitWhenBusLost, runProcess, type Running } from "./run-process.ts";
