import { describe, it, expect } from "vitest";
import { parseElement, xml } from "@xmppd/xml";
import { canonical } from "../host/testing.ts";
import { flexResult, markRetrieved, parseFlexRequest } from "./flexible.ts";

const OFFLINE = "http://jabber.org/protocol/offline";
const iq = (text: string) => parseElement(text);

describe("XEP-0013 requests and replies", () => {
  it("reads each request (§2.2-§2.7), de-duplicating nodes", () => {
    expect(parseFlexRequest(iq(`<iq type="get" id="1"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}"/></iq>`))).toEqual({ op: "info" });
    expect(parseFlexRequest(iq(`<iq type="get" id="1"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}"/></iq>`))).toEqual({ op: "items" });
    expect(parseFlexRequest(iq(`<iq type="get" id="1"><offline xmlns="${OFFLINE}"><item action="view" node="3"/><item action="view" node="1"/><item action="view" node="3"/></offline></iq>`))).toEqual({ op: "view", nodes: ["3", "1"] });
    expect(parseFlexRequest(iq(`<iq type="set" id="1"><offline xmlns="${OFFLINE}"><item action="remove" node="2"/></offline></iq>`))).toEqual({ op: "remove", nodes: ["2"] });
    expect(parseFlexRequest(iq(`<iq type="get" id="1"><offline xmlns="${OFFLINE}"><fetch/></offline></iq>`))).toEqual({ op: "fetch" });
    expect(parseFlexRequest(iq(`<iq type="set" id="1"><offline xmlns="${OFFLINE}"><purge/></offline></iq>`))).toEqual({ op: "purge" });
  });

  it("rejects disco requests for other nodes and mixed or misplaced commands", () => {
    expect(parseFlexRequest(iq(`<iq type="get" id="1"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`))).toBeNull();
    expect(parseFlexRequest(iq(`<iq type="set" id="1"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}"/></iq>`))).toBeNull();
    expect(parseFlexRequest(iq(`<iq type="get" id="1"><offline xmlns="${OFFLINE}"><fetch/><purge/></offline></iq>`))).toBeNull();
    expect(parseFlexRequest(iq(`<iq type="get" id="1"><offline xmlns="urn:other"><fetch/></offline></iq>`))).toBeNull();
    expect(parseFlexRequest(iq(`<iq type="get" id="1"><offline xmlns="${OFFLINE}"><item action="view" node=""/></offline></iq>`))).toBeNull();
  });

  it("builds the node's info with the message count as a form (§2.2)", () => {
    const req = iq(`<iq type="get" id="n1"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}"/></iq>`);
    expect(canonical(flexResult(req, { op: "info" }, { count: 66 }))).toBe(canonical(
      `<iq type="result" id="n1"><query xmlns="http://jabber.org/protocol/disco#info" node="${OFFLINE}">` +
        `<identity category="automation" type="message-list"/><feature var="${OFFLINE}"/>` +
        `<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>${OFFLINE}</value></field>` +
        `<field var="number_of_messages"><value>66</value></field></x></query></iq>`));
  });

  it("builds the headers (§2.3) and marks a retrieved message with its node (§2.4)", () => {
    const req = iq(`<iq type="get" id="h1"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}"/></iq>`);
    expect(canonical(flexResult(req, { op: "items" }, { owner: "romeo@montague.net", headers: [{ node: "12", sender: "juliet@capulet.com/balcony" }] }))).toBe(canonical(
      `<iq type="result" id="h1"><query xmlns="http://jabber.org/protocol/disco#items" node="${OFFLINE}">` +
        `<item jid="romeo@montague.net" node="12" name="juliet@capulet.com/balcony"/></query></iq>`));
    expect(canonical(markRetrieved(xml("message", { from: "juliet@capulet.com/balcony" }, xml("body", {}, "hi")), "12"))).toBe(canonical(
      `<message from="juliet@capulet.com/balcony"><body>hi</body><offline xmlns="${OFFLINE}"><item node="12"/></offline></message>`));
  });
});
