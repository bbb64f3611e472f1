// @xmppd/stores-runtime: opens the private tier's stores (sessions, XEP-0198 state, SQL) from
// the configuration. Never imported by the gateway (scripts/check-layers.ts): it pulls in the
// database drivers.
export { openAuthThrottle, openSessions, openSm } from "./sessions.ts";
export { openDatabases, type Databases } from "./databases.ts";
export { DataDirLockedError, dataDirHolder, lockDataDir, lockFilePath, type DataDirLock, type LockHolder } from "./data-dir-lock.ts";
