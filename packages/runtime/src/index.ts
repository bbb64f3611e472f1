export { requireUrls, type Requirement } from "./require-urls.ts";
export { openBus, openSessions, openDatabases, type Databases } from "./adapters.ts";
export { exitWhenBusLost, runProcess, type Running } from "./run-process.ts";
