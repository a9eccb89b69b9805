import { parseAccessGrantText, type SignedAccessGrant } from "keyway";
import { describeError } from "./errors";

/**
 * A pasted access grant, read with the SDK's strict parser and checked against the open
 * stream and the connected account, or the sentence saying what is wrong with it. Nothing is
 * sent for a paste that fails here; the signature and the issuer's Grant are judged by the
 * relay and by every subscriber's validator.
 */
export function readPastedGrant(text: string, streamId: string, account: string): SignedAccessGrant | { problem: string } {
  let grant: SignedAccessGrant;
  try {
    grant = parseAccessGrantText(text);
  } catch (error) {
    return { problem: describeError(error) };
  }
  if (grant.streamId !== streamId) return { problem: `This access grant is for the stream ${grant.streamId}, not the one open here.` };
  if (grant.grantee !== account.toLowerCase()) return { problem: `This access grant is for ${grant.grantee}, not for your account ${account.toLowerCase()}.` };
  return grant;
}

/** A grant as `keyway grant issue` prints it: one line of JSON, what the grantee pastes or saves to a file. */
export function grantJson(grant: SignedAccessGrant): string {
  return JSON.stringify(grant);
}
