// A partition taken after a clean hand-over (nats-batch-loop.ts HandedBack): the server takes the
// previous holder's naks on its own time, so the first pulls can bring newer messages before the
// handed-back ones. A stand-in consumer plays exactly that order.
import { describe, expect, it } from "vitest";
import type { Consumer as JsConsumer, JsMsg } from "nats";
import { PartitionBatchLoop } from "./nats-batch-loop.ts";

function msg(seq: number): JsMsg {
  return { seq, subject: "w.p0", data: new TextEncoder().encode(String(seq)), info: { deliveryCount: 1 }, ack() {}, nak() {}, working() {} } as unknown as JsMsg;
}

/** Answers each fetch with the next group (then nothing, after a short wait, as an empty pull would). */
function standIn(groups: number[][]): JsConsumer {
  return {
    async fetch() {
      const group = groups.shift();
      if (!group) await new Promise((r) => setTimeout(r, 20));
      return (async function* () {
        for (const seq of group ?? []) yield msg(seq);
      })();
    },
  } as unknown as JsConsumer;
}

async function run(groups: number[][], handedBack?: { upTo: number; count: number }): Promise<number[]> {
  const seen: number[] = [];
  const loop = new PartitionBatchLoop(standIn(groups), async (batch) => {
    for (const m of batch) (seen.push(Number(new TextDecoder().decode(m.data))), m.ack());
  }, { maxBatch: 256, ackWaitMs: 2000, settle: false, pending: async () => 0, ...(handedBack ? { handedBack } : {}) }, () => {});
  await new Promise((r) => setTimeout(r, 200));
  await loop.stop();
  return seen;
}

describe("PartitionBatchLoop after a clean hand-over", () => {
  it("runs the handed-back messages before newer ones that a first pull brought ahead of them", async () => {
    // 10 and 12 were handed back; 20 and 21 are new and arrive first, 12 on its own later.
    expect(await run([[20, 21], [10], [22, 12], [23]], { upTo: 12, count: 2 })).toEqual([10, 12, 20, 21, 22, 23]);
  });

  it("without a hand-over, runs messages as they arrive", async () => {
    expect(await run([[20, 21], [10]])).toEqual([20, 21, 10]);
  });
});
