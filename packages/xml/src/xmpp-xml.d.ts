// Types for the parts of @xmpp/xml (ltx underneath) this project uses. @xmpp/xml ships no
// declarations; only packages/xml imports it, and it re-exports Element and xml().
declare module "@xmpp/xml" {
  export type Node = Element | string;
  export type Child = Node | Node[] | number | null | undefined | boolean;

  export class Element {
    constructor(name: string, attrs?: Record<string, string> | string);
    name: string;
    attrs: Record<string, string>;
    children: Node[];
    parent: Element | null;
    /** Local name and namespace (looked up through ancestors when not declared here). */
    is(name: string, xmlns?: string): boolean;
    getName(): string;
    getNS(): string | undefined;
    findNS(prefix?: string): string | undefined;
    getAttr(name: string, xmlns?: string): string | undefined | null;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildByAttr(attr: string, value: string, xmlns?: string, recursive?: boolean): Element | undefined;
    getChildrenByFilter(filter: (child: Node) => boolean, recursive?: boolean): Node[];
    getText(): string;
    getChildText(name: string, xmlns?: string): string | null;
    root(): Element;
    up(): Element;
    c(name: string, attrs?: Record<string, string> | string): Element;
    cnode<T extends Node>(child: T): T;
    append(...nodes: Node[]): void;
    prepend(...nodes: Node[]): void;
    t(text: string): this;
    remove(el: Element | string, xmlns?: string): this;
    text(): string;
    attr(name: string): string | undefined;
    attr(name: string, value: string): this;
    toString(): string;
    write(writer: (chunk: string) => void): void;
  }

  export function xml(
    name: string,
    attrs?: Record<string, string | number | null | undefined> | null,
    ...children: Child[]
  ): Element;

  export function escapeXML(text: string): string;
  export function escapeXMLText(text: string): string;
}
