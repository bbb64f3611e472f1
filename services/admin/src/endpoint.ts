// The embedded standalone's admin endpoint: PGlite allows one process only, so the CLI asks the
// running standalone to do the work. Loopback only, one random bearer token, JSON over HTTP:
// POST /ops/<name> {"args":[...]} -> {"result":...} | {"error":{"code","message"}}.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AdminError, OP_NAMES } from "./ops.ts";
import type { AdminOps } from "./ops.ts";
import { SERVER_OP_NAMES, type ServerOps } from "./server-ops.ts";

/** Every operation the endpoint may serve: the account ones, and those on the running server. */
export const REMOTE_OP_NAMES = [...OP_NAMES, ...SERVER_OP_NAMES] as const;
export type RemoteOpName = (typeof REMOTE_OP_NAMES)[number];
/** What the endpoint serves; a server operation left out answers "unknown operation". */
export type ServedOps = AdminOps & Partial<ServerOps>;

export interface AdminEndpoint {
  url: string;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

export async function serveAdminOps(ops: ServedOps, onError?: (err: unknown) => void): Promise<AdminEndpoint> {
  const token = randomBytes(32).toString("hex");
  const server = createServer((req, res) => {
    handle(ops, token, req).then(
      ({ status, body }) => reply(res, status, body),
      (err: unknown) => {
        onError?.(err);
        // The operator's own server: say what went wrong rather than only that something did.
        const message = err instanceof Error ? err.message : String(err);
        reply(res, 500, { error: { code: "internal", message: `internal error: ${message} (see the server log)` } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handle(ops: ServedOps, token: string, req: IncomingMessage): Promise<{ status: number; body: unknown }> {
  if (!isAuthorized(req.headers.authorization, token)) return { status: 401, body: { error: { code: "unauthorized", message: "bad admin token" } } };
  const name = /^\/ops\/([A-Za-z]+)$/.exec(req.url ?? "")?.[1];
  if (req.method !== "POST" || !isOpName(name) || typeof ops[name] !== "function") return { status: 404, body: { error: { code: "invalid", message: "unknown operation" } } };
  const args = parseArgs(await readBody(req));
  if (!args) return { status: 400, body: { error: { code: "invalid", message: "body must be {\"args\": [...]}" } } };
  try {
    const fn = ops[name] as (...a: unknown[]) => Promise<unknown>;
    return { status: 200, body: { result: await fn.apply(ops, args) } };
  } catch (err) {
    if (err instanceof AdminError) return { status: 422, body: { error: { code: err.code, message: err.message } } };
    throw err;
  }
}

function isOpName(name: string | undefined): name is RemoteOpName {
  return (REMOTE_OP_NAMES as readonly string[]).includes(name ?? "");
}

function isAuthorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? "");
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function parseArgs(text: string): unknown[] | null {
  try {
    const body = JSON.parse(text) as { args?: unknown };
    return Array.isArray(body.args) ? body.args : null;
  } catch {
    return null;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new AdminError("request too large", "invalid");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
