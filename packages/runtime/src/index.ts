// @xmppd/runtime: process wiring every main.ts may load, the gateway's included, so nothing here
// reaches storage or a database driver (the private tier's stores are in @xmppd/stores-runtime).
export { requireUrls, type Requirement } from "./require-urls.ts";
export { openBus } from "./open-bus.ts";
export { exitWhenBusLost, runProcess, type Running } from "./run-process.ts";
export { createReload, changedKeys, type Reload, type ReloadOptions } from "./reload.ts";
export { isTransient } from "./transient.ts";
export { watchDependencies, type DependencyName, type DependencyWatch, type WatchOptions } from "./dependencies.ts";
