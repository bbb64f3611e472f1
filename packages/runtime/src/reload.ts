// SIGHUP: what a running process can take up without a restart. The configuration is read again
// (file and environment, as at start); log.level applies at once (every child logger follows the
// root's level); the service's own steps run (the gateway re-reads its certificate and key files).
// Every other changed key is named in the log line as needing a restart: ports, URLs, domains and
// limits are wired into listeners and connections when they open. One JSON line says what was
// reloaded; a configuration that no longer parses changes nothing and is logged as an error.
import type { Config } from "@xmppd/config";
import type { Logger } from "@xmppd/observability";

export interface ReloadOptions {
  log: Logger;
  /** The configuration in force now (from start, then from the last reload). */
  config: Config;
  /** Reads the configuration again, as the process did at start. */
  load: () => Config;
  /** The service's own reloads, by name ("tls"); each failure is logged and the rest still run. */
  steps?: Record<string, () => Promise<void>>;
}

export type Reload = () => Promise<void>;

export function createReload(o: ReloadOptions): Reload {
  let current = o.config;
  return async () => {
    let next: Config;
    try {
      next = o.load();
    } catch (err) {
      o.log.error({ signal: "SIGHUP", err }, "reload: the configuration is invalid; nothing reloaded");
      return;
    }
    const reloaded: string[] = [];
    const failed: string[] = [];
    for (const [name, step] of Object.entries(o.steps ?? {})) {
      try {
        await step();
        reloaded.push(name);
      } catch (err) {
        failed.push(name);
        o.log.error({ signal: "SIGHUP", step: name, err }, `reload: ${name} failed; keeping the previous one`);
      }
    }
    const changed = changedKeys(current, next);
    const levelChanged = changed.includes("log.level");
    if (levelChanged) reloaded.push("log.level");
    const needsRestart = changed.filter((k) => k !== "log.level");
    const report = { signal: "SIGHUP", reloaded, failed, logLevel: next.log.level, needsRestart };
    // Written while the more verbose of the two levels is in force, so that lowering the level
    // to warn still shows this line once.
    if (levelChanged && isQuieter(next.log.level, o.log.level)) {
      o.log.info(report, "reloaded");
      o.log.level = next.log.level;
    } else {
      o.log.level = next.log.level;
      o.log.info(report, "reloaded");
    }
    current = next;
  };
}

const ORDER = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
function isQuieter(a: string, b: string): boolean {
  return ORDER.indexOf(a) > ORDER.indexOf(b);
}

/** Dotted paths of the leaves that differ (arrays compared whole). */
export function changedKeys(a: unknown, b: unknown, prefix = ""): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedKeys(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}
