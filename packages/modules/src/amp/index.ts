// XEP-0079 Advanced Message Processing: the pure core (parse, validate, disposition, resolve,
// replies, disco). No I/O and no clock reads; the AMP worker and the router wire it in.
export type { Action, AmpRequest, Condition, DeliverValue, FailureKind, MatchValue, RawRule, Rule, ValidationResult } from "./types.ts";
export { ACTIONS, CONDITIONS, DELIVER_VALUES, MATCH_VALUES } from "./types.ts";
export { parseAmp } from "./parse.ts";
export { parseUtcDateTime } from "./datetime.ts";
export { checkRule, securityRefusals, validateAmp, type SecurityLevel } from "./validate.ts";
export { securityLevelOf, trustedSender, type AmpSecurityConfig } from "./security.ts";
export { disposition, type Disposition, type DispositionInput } from "./disposition.ts";
export { evaluatePass, isMet, markFired, nextExpiry, type Effect, type Outcome, type Pass, type PassResult } from "./resolve.ts";
export { eventReply, stripAmp, validationErrorReply } from "./replies.ts";
export { AMP_NODE_FEATURES, AMP_ROOT_FEATURE, ampNodeInfo, ampStreamFeature, isAmpNode } from "./disco.ts";
