export { MECHANISMS, createMechanism, isMechanismName } from "./mechanism.ts";
// Lives in @xmppd/stanza so the gateway can use it without loading this package.
export { isPlusMechanism } from "@xmppd/stanza";
export { expectedCbindInput } from "./channel-binding.ts";
export { hashPassword, hashPasswordAsync } from "./hash-password.ts";
export { deriveCredential } from "./scram-crypto.ts";
export { scramClient, type ScramClient } from "./client.ts";
export type {
  ChannelBinding,
  CredentialLookup,
  MechanismName,
  MechanismOptions,
  SaslFailureCondition,
  SaslMechanism,
  SaslStep,
  ScramCredentials,
  ScramName,
  ScramPlusName,
} from "./types.ts";
