import { PlainServer } from "./plain.ts";
import { ScramServer } from "./scram-server.ts";
import type { CredentialLookup, MechanismName, MechanismOptions, SaslMechanism, ScramName } from "./types.ts";

/** Every mechanism this package implements, strongest first. */
export const MECHANISMS: readonly MechanismName[] = Object.freeze(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]);

export function isMechanismName(name: string): name is MechanismName {
  return (MECHANISMS as readonly string[]).includes(name);
}

/** Answers invalid-mechanism (RFC 6120 §6.5.7) for a name we do not implement. */
const invalidMechanism: SaslMechanism = {
  step: async () => ({ kind: "failure", condition: "invalid-mechanism" }),
};

/**
 * A server-side state machine for one authentication attempt. An unknown name gives a
 * mechanism whose first step fails with invalid-mechanism, so callers can pass the client's
 * choice straight through.
 */
export function createMechanism(name: string, lookup: CredentialLookup, opts: MechanismOptions = {}): SaslMechanism {
  if (!isMechanismName(name)) return invalidMechanism;
  if (name === "PLAIN") return new PlainServer(lookup, opts);
  if (name === "SCRAM-SHA-256-PLUS" || name === "SCRAM-SHA-1-PLUS") return new ScramServer(name.slice(0, -5) as ScramName, true, lookup, opts);
  return new ScramServer(name, false, lookup, opts);
}
