// Heap use of a running service, read through the V8 inspector after a full garbage collection,
// so that idle-session memory is measured without start-up garbage (RSS alone is dominated by it).
import { readFileSync } from "node:fs";
import WebSocket from "ws";

export function inspectorUrl(logFile: string): string {
  const m = readFileSync(logFile, "utf8").match(/Debugger listening on (ws:\/\/\S+)/);
  if (!m) throw new Error(`no inspector URL in ${logFile}`);
  return m[1]!;
}

/** Bytes of V8 heap in use after a full GC. */
export async function heapAfterGc(url: string): Promise<number> {
  const ws = new WebSocket(url);
  await new Promise((res, rej) => ws.once("open", res).once("error", rej));
  let id = 0;
  const call = (method: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const my = ++id;
      const onMessage = (data: WebSocket.RawData) => {
        const msg = JSON.parse(String(data)) as { id?: number; result?: Record<string, unknown> };
        if (msg.id === my) {
          ws.off("message", onMessage);
          resolve(msg.result ?? {});
        }
      };
      ws.on("message", onMessage);
      ws.send(JSON.stringify({ id: my, method }));
    });
  await call("HeapProfiler.collectGarbage");
  await call("HeapProfiler.collectGarbage");
  const usage = await call("Runtime.getHeapUsage");
  ws.close();
  return Number(usage.usedSize);
}
