import type { ScramCredential, UserRecord } from "@xmppd/storage";

/** SASL failure conditions of RFC 6120 §6.5. */
export type SaslFailureCondition =
  | "aborted"
  | "account-disabled"
  | "credentials-expired"
  | "encryption-required"
  | "incorrect-encoding"
  | "invalid-authzid"
  | "invalid-mechanism"
  | "malformed-request"
  | "mechanism-too-weak"
  | "not-authorized"
  | "temporary-auth-failure";

/**
 * One server step. `username` is the SASLprep-ed authentication identity; `authzid` is the
 * requested authorization identity, when the client sent one (the caller checks it, RFC 6120
 * §6.4.6). `data` is the additional data of <success/> (SCRAM's server-final-message).
 */
export type SaslStep =
  | { kind: "challenge"; data: Buffer }
  | { kind: "success"; username: string; authzid?: string; data?: Buffer }
  /** `username`: the account whose credentials were wrong (per-account back-off), when known. */
  | { kind: "failure"; condition: SaslFailureCondition; username?: string };

export interface SaslMechanism {
  step(input: Buffer): Promise<SaslStep>;
}

export type ScramName = "SCRAM-SHA-1" | "SCRAM-SHA-256";
export type ScramPlusName = `${ScramName}-PLUS`;
export type MechanismName = ScramPlusName | ScramName | "PLAIN";

/** Both credentials of one user, as stored (UserRecord["scram"]). */
export type ScramCredentials = UserRecord["scram"];
export type { ScramCredential };

/** Finds a user's credentials by SASLprep-ed username; null when there is no such user. */
export type CredentialLookup = (username: string) => Promise<ScramCredentials | null>;

/** Channel binding data of the connection (RFC 5056): type "tls-exporter" or "tls-server-end-point". */
export interface ChannelBinding {
  type: string;
  data: Buffer;
}

export interface MechanismOptions {
  /**
   * The connection's channel bindings, one per type. Pass them only when the server offers the
   * -PLUS variants on this connection: a client that then answers gs2 flag "y" is being
   * downgraded and fails (RFC 5802 §6); a -PLUS client must bind to one of these types.
   */
  channelBindings?: readonly ChannelBinding[];
  /** Server part of the SCRAM nonce; random by default. Tests inject fixed values. */
  serverNonce?: () => string;
  /** Secret mixed into the fake salt of unknown users; share one across the cluster. */
  fakeSaltKey?: string | Buffer;
  /** Iteration count shown for unknown users; match the one used for new credentials. */
  fakeIterations?: number;
}

/** Thrown inside a mechanism to end the exchange with a failure condition. */
export class StepFailure extends Error {
  override name = "StepFailure";
  readonly condition: SaslFailureCondition;

  constructor(condition: SaslFailureCondition, reason: string) {
    super(reason);
    this.condition = condition;
  }
}
