// Session keys (Delegation) and access grants (AccessGrant): acting on a stream off chain,
// with the registry as the root. See docs/delegation.md.
export type { AccessGrant, Delegation, SignedAccessGrant, SignedDelegation } from "./types";
export { InvalidAccessGrantError, InvalidDelegationError, type AuthorityRule } from "./errors";
export { DELEGABLE_BITS, fromPermissionBits, PUBLISH_BIT, SUBSCRIBE_BIT, toPermissionBits } from "./permissionBits";
export {
  ACCESS_GRANT_TYPE,
  ACCESS_GRANT_TYPES,
  accessGrantTypedData,
  DELEGATION_TYPE,
  DELEGATION_TYPES,
  delegationTypedData,
} from "./typedData";
export { MAX_DELEGATED_STREAMS, parseAccessGrant, parseAccessGrantText, parseDelegation } from "./parse";
export { randomSalt, signAccessGrant, signDelegation, type SignAuthorityOptions } from "./sign";
export { createAuthorityMemo, recoverAccessGrantSigner, recoverDelegationSigner, verifyAccessGrant, type AuthorityMemo, type Resolved } from "./verify";
export {
  checkAccessGrant,
  checkDelegation,
  checkSessionDelegation,
  createAuthorityContext,
  type AuthorityContext,
  type AuthorityUse,
  type AuthorityVerdict,
  type SessionUse,
} from "./check";
export { checkAuthorizedMessage, splitCarriedAuthority, type AuthorizedStreamMessage, type CarriedAuthority } from "./message";
