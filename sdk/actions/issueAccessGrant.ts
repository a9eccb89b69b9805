import type { Address } from "viem";
import type { RegistryContext } from "../context";
import { toPermissionBits } from "../delegation/permissionBits";
import { futureUnixSeconds, randomSalt, signAccessGrant } from "../delegation/sign";
import type { SignedAccessGrant } from "../delegation/types";
import { InvalidAddressError } from "../errors";
import type { MessageSigner } from "../message/signers";
import type { StreamPermission } from "../permissions";
import { readDomain } from "../relay/session";
import { normalizeStreamId } from "../streamId";

export interface IssueAccessGrantParameters {
  streamId: string;
  /** The one account that may use the grant. */
  grantee: string;
  /** Publish and/or Subscribe. */
  permissions: StreamPermission[];
  /** Must be in the future. */
  expiresAt: Date;
  /** Signs the grant: an account holding Grant on the stream. */
  issuer: MessageSigner;
}

export type IssueAccessGrantReturnType = SignedAccessGrant;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * Signs an `AccessGrant` with the issuer's key: no transaction. It is honoured while the
 * issuer holds Grant on the stream (revoke that to cancel every grant it issued) and until
 * `expiresAt`. The result is JSON-serialisable: hand it to the grantee.
 *
 * @example
 * const grant = await issueAccessGrant(client.context, { streamId, grantee, permissions: [StreamPermission.SUBSCRIBE], expiresAt: new Date(Date.now() + 3_600_000), issuer });
 * response.json(grant);
 */
export async function issueAccessGrant(context: RegistryContext, parameters: IssueAccessGrantParameters): Promise<IssueAccessGrantReturnType> {
  if (typeof parameters.grantee !== "string" || !ADDRESS.test(parameters.grantee)) throw new InvalidAddressError(String(parameters.grantee));
  const grant = {
    grantee: parameters.grantee.toLowerCase() as Address,
    streamId: normalizeStreamId(parameters.streamId),
    permissions: toPermissionBits(parameters.permissions),
    expiresAt: futureUnixSeconds(parameters.expiresAt),
    salt: randomSalt(),
  };
  return signAccessGrant(grant, { signer: parameters.issuer, domain: await readDomain(context) });
}
