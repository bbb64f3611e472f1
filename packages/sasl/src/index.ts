export { MECHANISMS, createMechanism, isMechanismName, isPlusMechanism } from "./mechanism.ts";
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
