export { MECHANISMS, createMechanism, isMechanismName } from "./mechanism.ts";
export { hashPassword } from "./hash-password.ts";
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
} from "./types.ts";
