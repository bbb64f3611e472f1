import { afterEach, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "nats";
import { JetStreamPublisher } from "./js-publisher.ts";

// Real NATS on loopback; the "stream" is a plain subscriber answering as JetStream does, so the
// order, content and absence of answers are the test's to choose.
const url = "nats://127.0.0.1:4222";
const subject = () => `jspub.${Math.random().toString(36).slice(2)}`;
const bytes = (s: string) => new TextEncoder().encode(s);
const opened: NatsConnection[] = [];
const open = async () => {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  opened.push(nc);
  return nc;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((nc) => nc.close()));
});

describe("JetStreamPublisher", () => {
  it("resolves each publish on its own answer, whatever the order, and sends the msgId header", async () => {
    const [nc, stream] = [await open(), await open()];
    const subj = subject();
    const held: { reply: string; id: string | undefined; data: string }[] = [];
    stream.subscribe(subj, {
      callback: (_e, m) => {
        held.push({ reply: m.reply!, id: m.headers?.get("Nats-Msg-Id"), data: new TextDecoder().decode(m.data) });
        // Answers the three in reverse once all are in.
        if (held.length === 3) for (const h of [...held].reverse()) stream.publish(h.reply, bytes(JSON.stringify({ stream: "S", seq: 1 })));
      },
    });
    await stream.flush();
    const p = new JetStreamPublisher(nc);
    const settled: string[] = [];
    await Promise.all(["a", "b", "c"].map((d) => p.publish(subj, bytes(d), `id-${d}`).then(() => void settled.push(d))));
    expect(held.map((h) => [h.data, h.id])).toEqual([["a", "id-a"], ["b", "id-b"], ["c", "id-c"]]);
    expect(settled).toEqual(["c", "b", "a"]);
  });

  it("rejects with the stream's refusal as nats.js reports it (code and api_error)", async () => {
    const [nc, stream] = [await open(), await open()];
    const subj = subject();
    const error = { code: 503, err_code: 10077, description: "maximum messages exceeded" };
    stream.subscribe(subj, { callback: (_e, m) => m.respond(bytes(JSON.stringify({ error }))) });
    await stream.flush();
    const err = await new JetStreamPublisher(nc).publish(subj, bytes("x")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "503", api_error: error });
  });

  it("rejects with code 503 when nothing listens on the subject", async () => {
    const err = await new JetStreamPublisher(await open()).publish(subject(), bytes("x")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "503" });
  });

  it("rejects an answer that is not an acknowledgement", async () => {
    const [nc, stream] = [await open(), await open()];
    const subj = subject();
    stream.subscribe(subj, { callback: (_e, m) => m.respond(bytes("not json")) });
    await stream.flush();
    await expect(new JetStreamPublisher(nc).publish(subj, bytes("x"))).rejects.toMatchObject({ code: "JESTREAM_INVALID_ACK" });
  });

  it("times out a publish nobody answers, and answers what came in time", async () => {
    const [nc, stream] = [await open(), await open()];
    const subj = subject();
    stream.subscribe(subj, { callback: (_e, m) => void (new TextDecoder().decode(m.data) === "answered" && m.respond(bytes(JSON.stringify({ stream: "S", seq: 2 })))) });
    await stream.flush();
    const p = new JetStreamPublisher(nc, 300);
    const started = Date.now();
    const [silent, answered] = await Promise.allSettled([p.publish(subj, bytes("silent")), p.publish(subj, bytes("answered"))]);
    expect(answered.status).toBe("fulfilled");
    expect(silent).toMatchObject({ status: "rejected", reason: { code: "TIMEOUT" } });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("rejects what is pending when the connection closes", async () => {
    const [nc, stream] = [await open(), await open()];
    const subj = subject();
    stream.subscribe(subj, { callback: () => {} });
    await stream.flush();
    const pending = new JetStreamPublisher(nc).publish(subj, bytes("x")).catch((e: unknown) => e);
    await nc.flush();
    await nc.close();
    expect(await pending).toMatchObject({ code: "CONNECTION_CLOSED" });
  });
});
