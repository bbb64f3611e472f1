export { issueCa, issueServerCert, type PemPair } from "./tls.ts";
export { PRIVATE_IDENTITIES, publicKeyOf, seedFileName, writeBusSecrets, type BusSecrets, type BusSecretsOptions } from "./secrets.ts";
