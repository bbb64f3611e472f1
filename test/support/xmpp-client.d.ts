// @xmpp/client ships no types; the tests use this much of it.
declare module "@xmpp/client" {
  import type { Element } from "@xmppd/xml";
  export function xml(name: string, attrs?: Record<string, string | undefined>, ...children: (Element | string)[]): Element;
  export interface XmppClient {
    reconnect: { stop(): void };
    iqCaller: { request(el: Element, timeoutMs?: number): Promise<Element> };
    on(event: "stanza" | "nonza", fn: (el: Element) => void): void;
    on(event: "error" | "offline" | "online", fn: (arg: unknown) => void): void;
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
  }
  export function client(opts: Record<string, unknown>): XmppClient;
}
