import { PlainServer } from "./plain.ts";
import { ScramServer } from "./scram-server.ts";
import type { CredentialLookup, MechanismName, MechanismOptions, SaslMechanism } from "./types.ts";

/** Every mechanism this package implements, strongest first. */
export const MECHANISMS: readonly MechanismName[] = Object.freeze(["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]);

export function isMechanismName(name: string): name is MechanismName {
  return (MECHANISMS as readonly string[]).includes(name);
}

/** Answers invalid-mechanism (RFC 6120 §6.5.7) for a name we do not implement. */
const invalidMechanism: SaslMechanism = {
  step: async () => ({ kind: "failure", condition: "invalid-mechanism" }),
};

/**
 * A server-side state machine for one authentication attempt. An unknown name (including the
 * -PLUS variants, not offered yet) gives a mechanism whose first step fails with
 * invalid-mechanism, so callers can pass the client's choice straight through.
 */
export function createMechanism(name: string, lookup: CredentialLookup, opts: MechanismOptions = {}): SaslMechanism {
  if (!isMechanismName(name)) return invalidMechanism;
  if (name === "PLAIN") return new PlainServer(lookup, opts);
  return new ScramServer(name, lookup, opts);
}
