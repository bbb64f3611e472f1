// HTTP details of the BOSH endpoint: CORS so that browser clients served from another origin
// can POST (XEP-0124 §4 allows any origin policy; browsers need the preflight answered),
// XML responses, and request bodies read up to a byte limit.
import type { IncomingMessage, ServerResponse } from "node:http";

const CORS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, OPTIONS",
  "access-control-allow-headers": "Content-Type",
  "access-control-max-age": "86400",
};

/** XEP-0124 §4: responses are text/xml; charset=utf-8, never cached. */
export function replyXml(res: ServerResponse, body: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(200, { ...CORS, "content-type": "text/xml; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** The CORS preflight (OPTIONS). */
export function replyPreflight(res: ServerResponse): void {
  res.writeHead(200, { ...CORS, "content-length": 0 });
  res.end();
}

export function replyStatus(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...CORS, ...headers, "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export type BodyRead = { bytes: Buffer } | { tooLarge: Buffer } | { aborted: true };

/**
 * Reads the request body. Past `maxBytes` it stops collecting and yields the start it has, so
 * the caller can still find the session the oversized request belongs to; the rest is discarded.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyRead) => {
      if (!done) resolve(result);
      done = true;
    };
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      chunks.push(chunk);
      if (size > maxBytes) finish({ tooLarge: Buffer.concat(chunks).subarray(0, 4096) });
    });
    req.on("end", () => finish({ bytes: Buffer.concat(chunks) }));
    req.on("error", () => finish({ aborted: true }));
    req.on("close", () => finish({ aborted: true }));
  });
}
