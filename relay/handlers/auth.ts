import { type Address, hashMessage, type Hex, isAddress, isHex, recoverAddress } from "viem";
import { generateSiweNonce, parseSiweMessage } from "viem/siwe";
import WebSocket from "ws";
import { checkSessionDelegation } from "../../sdk/delegation/check";
import { InvalidDelegationError } from "../../sdk/delegation/errors";
import type { SignedDelegation } from "../../sdk/delegation/types";
import { recoverSigner } from "../../sdk/delegation/verify";
import { hexToBytes } from "../../sdk/message/hex";
import type { Connection, SignIn } from "../connection";
import type { RelayContext } from "../context";
import { isContractSignature } from "../contractSignIn";
import { setSignIn } from "../signIn";
import { type Fields, readString } from "../fields";
import { CloseCode, ErrorCode, type RequestId } from "../../sdk/relay/protocol";
import { RequestError } from "../requestError";

function refuse(message: string): never {
  throw new RequestError(ErrorCode.AUTH_FAILED, message);
}

/** The first rule of the relay's that the SIWE message breaks, in words a client can act on. */
function problemWith(relay: RelayContext, connection: Connection, siwe: ReturnType<typeof parseSiweMessage>, nowMs: number): string | undefined {
  if (siwe.address === undefined || !isAddress(siwe.address, { strict: false })) return "not an EIP-4361 message";
  if (siwe.version !== "1") return "version is not 1";
  if (siwe.domain !== connection.host) return `domain ${JSON.stringify(siwe.domain)} is not the host this relay was reached at (${JSON.stringify(connection.host)})`;
  if (siwe.chainId !== relay.chainId) return `chain ${siwe.chainId} is not the relay's chain ${relay.chainId}`;
  if (siwe.nonce !== connection.nonce) return "nonce is not this connection's current one (each nonce signs in once)";
  if (siwe.issuedAt === undefined || Number.isNaN(siwe.issuedAt.getTime())) return "issuedAt is missing or not an RFC 3339 time";
  if (siwe.issuedAt.getTime() > nowMs + relay.limits.authClockSkewMs) return "issuedAt is in the future";
  if (siwe.expirationTime !== undefined && !(siwe.expirationTime.getTime() > nowMs)) return "the message has expired";
  if (siwe.notBefore !== undefined && !(siwe.notBefore.getTime() <= nowMs)) return "the message is not valid yet (notBefore)";
  return undefined;
}

/**
 * Longest SIWE message read. Sign-ins are a few hundred characters; viem's parser takes time
 * quadratic in a crafted message's length (0.6 s for 64 KiB), so longer ones are refused unread.
 */
export const MAX_SIWE_MESSAGE_CHARS = 4_096;

/** 65 bytes r || s || v in hex: what an account's key signs with. */
const SIGNATURE_HEX = /^0x[0-9a-fA-F]{130}$/;

/** The account whose key made a 65-byte signature: the native curve for the canonical form, viem for v 0/1 or a high s. */
async function accountSigner(hash: Hex, signature: Hex): Promise<string | undefined> {
  if (!SIGNATURE_HEX.test(signature)) return undefined;
  const signer = recoverSigner(hexToBytes(hash), signature) ?? (await recoverAddress({ hash, signature }).catch(() => undefined));
  return signer?.toLowerCase();
}

/**
 * Whether `address` signed the message whose EIP-191 hash is `hash`. An account's signature is
 * recovered locally (the native curve at once: viem's pure-JS recovery made sign-in the relay's
 * costliest step); when it is not the address's, the address may be a contract wallet, and the
 * chain is asked, bounded (isContractSignature).
 */
async function isSignedBy(relay: RelayContext, address: Address, hash: Hex, signature: string): Promise<boolean> {
  if (!isHex(signature)) return false;
  if ((await accountSigner(hash, signature)) === address.toLowerCase()) return true;
  return isContractSignature(relay, address, hash, signature);
}

/**
 * What a SIWE sign-in by `signer` holds: as the signer, or, with a delegation, as its
 * holder (the delegation's rules: checkSessionDelegation) until the earlier expiry.
 */
async function signInOf(relay: RelayContext, signer: Address, siweExpiresAt: number | null, delegation: unknown, nowMs: number): Promise<SignIn> {
  if (delegation === undefined) return { address: signer, expiresAt: siweExpiresAt };
  let holder: Address;
  let struct: SignedDelegation;
  try {
    ({ signer: holder, struct } = await checkSessionDelegation(relay.authority, delegation, { delegate: signer, at: nowMs }));
  } catch (error) {
    if (error instanceof InvalidDelegationError) refuse(`invalid delegation (${error.rule}): ${error.problem}`);
    throw error;
  }
  const expiresAt = Math.min(siweExpiresAt ?? Infinity, struct.expiresAt * 1000);
  return { address: holder, expiresAt, delegation: struct };
}

/**
 * `auth`: Sign-In with Ethereum. The message must name this relay's host, chain and the
 * connection's current nonce, be within its validity times, and be signed by its address
 * (an account's key, or a contract wallet through ERC-1271/6492). Success spends the nonce
 * and hands out a new one for a later re-auth; a failure leaves the nonce usable. With a
 * `delegation`, the SIWE message is the session key's and the connection acts as the holder,
 * limited to the delegation's streams and permissions, until the earlier of the two expiries.
 *
 * Failures are bounded: a sign-in counts as failed until it succeeds; a connection's
 * `maxAuthFailures`-th failure closes it (1008), and a remote address that failed
 * `authFailureRate` times within the last minute is refused RATE_LIMITED before anything is read.
 *
 * @example
 * // -> {"type":"auth","id":1,"message":"127.0.0.1:8546 wants you to sign in ...","signature":"0x..."}
 * // <- {"type":"authenticated","id":1,"address":"0xf39f...","expiresAt":null,"nonce":"..."}
 */
export async function handleAuth(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): Promise<void> {
  const { maxAuthFailures } = relay.limits;
  if (connection.authFailures >= maxAuthFailures) throw new RequestError(ErrorCode.RATE_LIMITED, `${maxAuthFailures} sign-ins failed or are under way on this connection`);
  if (!relay.addresses.takeSignInAttempt(connection.address)) throw new RequestError(ErrorCode.RATE_LIMITED, "too many failed sign-ins from your address: try again in a minute");
  connection.authFailures += 1;
  try {
    await signIn(relay, connection, id, fields);
  } catch (error) {
    if (!(error instanceof RequestError && error.code === ErrorCode.AUTH_FAILED)) {
      connection.authFailures -= 1;
      relay.addresses.refundSignInAttempt(connection.address);
      throw error;
    }
    if (connection.authFailures < maxAuthFailures) throw error;
    // The refusal first: nothing is sent once the close has begun.
    relay.send(connection, { type: "error", id, code: error.code, message: error.message });
    connection.socket.close(CloseCode.POLICY_VIOLATION, "too many failed sign-ins");
    return;
  }
  connection.authFailures -= 1;
  relay.addresses.refundSignInAttempt(connection.address);
}

async function signIn(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): Promise<void> {
  const message = readString(fields, "message");
  const signature = readString(fields, "signature");
  if (message.length > MAX_SIWE_MESSAGE_CHARS) refuse(`the message is longer than ${MAX_SIWE_MESSAGE_CHARS} characters`);
  const siwe = parseSiweMessage(message);
  const now = new Date();
  const problem = problemWith(relay, connection, siwe, now.getTime());
  if (problem !== undefined) refuse(problem);
  if (!(await isSignedBy(relay, siwe.address!, hashMessage(message), signature))) refuse(`the signature is not ${siwe.address}'s over this message`);
  const signer = siwe.address!.toLowerCase() as Address;
  const signIn = await signInOf(relay, signer, siwe.expirationTime?.getTime() ?? null, fields.delegation, now.getTime());
  if (siwe.nonce !== connection.nonce) refuse("nonce was used meanwhile by another auth on this connection");
  // Closed while the signature or delegation was checked: a sign-in now would keep its expiry timer, and the connection, alive.
  if (connection.socket.readyState !== WebSocket.OPEN) return;

  connection.nonce = generateSiweNonce();
  setSignIn(relay, connection, signIn);
  const { address, expiresAt } = signIn;
  relay.send(connection, { type: "authenticated", id, address, expiresAt, nonce: connection.nonce });
}
