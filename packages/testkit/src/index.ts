export { ensureServices, SERVICE_URLS, type ServiceUrls } from "./services.ts";
export { uniqueId, randomSuffix } from "./ids.ts";
export { tempDatabase, type TempDatabase } from "./temp-database.ts";
export { freePort, isReachable } from "./ports.ts";
export { waitFor, type WaitOptions } from "./wait.ts";
export { startSecureNats, type SecureNats } from "./secure-nats.ts";
export { startPrivateRedis, startPrivatePostgres, type PrivateService } from "./private-services.ts";
