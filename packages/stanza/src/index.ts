// @xmppd/stanza: namespaces, error tables and reply builders shared by every service.
export * from "./namespaces.ts";
export {
  STANZA_ERROR_CONDITIONS,
  STANZA_ERROR_TYPES,
  STREAM_ERROR_CONDITIONS,
  type StanzaErrorCondition,
  type StanzaErrorType,
  type StreamErrorCondition,
} from "./conditions.ts";
export { streamError } from "./stream-error.ts";
export { NS_SM, SM_ID, parseH, unwrapH, wrapH } from "./sm-count.ts";
export { isPlusMechanism } from "./sasl-names.ts";
export { errorReply, iqResult, isError, type ErrorReplyOptions } from "./replies.ts";
