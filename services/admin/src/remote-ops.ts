// AdminOps and ServerOps as a client of a running standalone's admin endpoint (see endpoint.ts).
import type { RemoteOpName } from "./endpoint.ts";
import { AdminError } from "./ops.ts";
import type { AdminErrorCode, AdminOps, SessionsPage, StoredMessage } from "./ops.ts";
import type { QueueStatus } from "./queue-status.ts";
import type { ClusterStats, MigrationReport, ServerOps } from "./server-ops.ts";

export function createRemoteAdminOps(endpoint: { url: string; token: string }): AdminOps & ServerOps {
  const call = async <T>(op: RemoteOpName, ...args: unknown[]): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(`${endpoint.url}/ops/${op}`, {
        method: "POST",
        headers: { authorization: `Bearer ${endpoint.token}`, "content-type": "application/json" },
        body: JSON.stringify({ args }),
      });
    } catch (err) {
      throw new AdminError(`cannot reach the running standalone at ${endpoint.url}`, "unavailable", { cause: err });
    }
    const body = (await res.json()) as { result?: T; error?: { code: AdminErrorCode; message: string } };
    if (body.error) throw new AdminError(body.error.message, body.error.code);
    return body.result as T;
  };
  return {
    register: (user, domain, password) => call<string>("register", user, domain, password),
    unregister: (user, domain) => call<string>("unregister", user, domain),
    passwd: (user, domain, password) => call<string>("passwd", user, domain, password),
    users: (domain) => call<string[]>("users", domain),
    sessions: (limit) => call<SessionsPage>("sessions", limit),
    ampMessages: (user, domain) => call<StoredMessage[]>("ampMessages", user, domain),
    ampPurge: (user, domain, expirableOnly) => call<number>("ampPurge", user, domain, expirableOnly),
    kick: (jid, text) => call<{ jid: string; gateway: string }>("kick", jid, text),
    stats: () => call<ClusterStats>("stats"),
    ampQueue: () => call<QueueStatus>("ampQueue"),
    migrate: () => call<MigrationReport[]>("migrate"),
    close: async () => {},
  };
}
