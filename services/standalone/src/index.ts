export { startStandalone } from "./app.ts";
export type { Standalone } from "./app.ts";
export { openInfra } from "./infra.ts";
export type { Infra } from "./infra.ts";
export { banner } from "./banner.ts";
