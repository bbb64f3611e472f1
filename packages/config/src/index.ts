export { configSchema, type Config, type Limits } from "./schema.ts";
export { loadConfig, type LoadConfigOptions } from "./load.ts";
export { ConfigError } from "./config-error.ts";
export type { ConfigIssue } from "./issue.ts";
export { describeConfig, configKeys, type KeyDescription } from "./describe.ts";
