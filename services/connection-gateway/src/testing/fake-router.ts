// A tiny stand-in for the session router in the gateway's tests: it beacons, records what it
// receives, answers every <auth/> with success for `user`, every bind iq with a bound reply,
// and acknowledges (when asked to) everything it handles.
import { decode, encode, type Bus, type RouterHeartbeat, type Subjects, type ToGateway, type ToRouter } from "@xmppd/bus";

export interface FakeRouter {
  readonly id: string;
  readonly received: ToRouter[];
  /** Stops beacons and stops listening: for the gateway it is dead. */
  kill(): void;
  /** Publishes a message to a gateway's inbox. */
  reply(gw: string, msg: ToGateway): void;
}

export interface FakeRouterOptions {
  user?: string;
  resource?: string;
  /** Answer every <auth/> with <not-authorized/> instead. */
  rejectAuth?: boolean;
  /** Acknowledge each envelope (default true). */
  ack?: (env: ToRouter) => boolean;
}

export function startFakeRouter(bus: Bus, subs: Subjects, id: string, opts: FakeRouterOptions = {}): FakeRouter {
  const user = opts.user ?? "alice@localhost";
  const received: ToRouter[] = [];
  const reply = (gw: string, msg: ToGateway) => bus.publish(subs.gatewayInbox(gw), encode(msg));
  const beacon = () => bus.publish(subs.routerHeartbeat(), encode<RouterHeartbeat>({ id, ts: Date.now() }));
  beacon();
  const timer = setInterval(beacon, 50);
  const sub = bus.subscribe(subs.routerInbox(id), (data, subject) => {
    if (subs.senderOf(subject) === null) throw new Error(`envelope on ${subject}, which names no gateway`);
    const env = decode<ToRouter>(data);
    received.push(env);
    if (opts.rejectAuth && env.t === "sasl") reply(env.gw, { t: "sasl", conn: env.conn, xml: REJECT, failed: true });
    else answer(env, user, opts.resource ?? "phone", reply);
    if (opts.ack?.(env) ?? true) reply(env.gw, { t: "ack", conn: env.conn, seq: env.seq });
  });
  return {
    id,
    received,
    reply,
    kill() {
      clearInterval(timer);
      sub.unsubscribe();
    },
  };
}

const REJECT = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>";

function answer(env: ToRouter, user: string, resource: string, reply: FakeRouter["reply"]): void {
  if (env.t === "sasl" && env.xml.startsWith("<auth")) {
    reply(env.gw, { t: "sasl", conn: env.conn, xml: "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", user });
  }
  if (env.t === "stanza" && env.xml.includes("urn:ietf:params:xml:ns:xmpp-bind")) {
    const id = /id=["']([^"']*)["']/.exec(env.xml)?.[1] ?? "";
    const jid = `${user}/${resource}`;
    const xml = `<iq type='result' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>${jid}</jid></bind></iq>`;
    reply(env.gw, { t: "bound", conn: env.conn, jid, xml });
  }
}
