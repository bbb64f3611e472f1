/**
 * A prepared JID (RFC 7622). Absent parts are empty strings. The constructor trusts its
 * arguments to be prepared already; build JIDs from text with parseJid.
 */
export class Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;

  constructor(local: string, domain: string, resource = "") {
    this.local = local;
    this.domain = domain;
    this.resource = resource;
  }

  isBare(): boolean {
    return this.resource === "";
  }

  bare(): Jid {
    return this.isBare() ? this : new Jid(this.local, this.domain);
  }

  bareString(): string {
    return this.local === "" ? this.domain : `${this.local}@${this.domain}`;
  }

  toString(): string {
    return this.isBare() ? this.bareString() : `${this.bareString()}/${this.resource}`;
  }

  /** Prepared parts compare by code points (RFC 7622 §3.1). */
  equals(other: Jid): boolean {
    return this.local === other.local && this.domain === other.domain && this.resource === other.resource;
  }
}
