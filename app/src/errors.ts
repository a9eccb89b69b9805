import {
  type DecryptionError,
  errorChain,
  type InvalidAccessGrantError,
  type InvalidDelegationError,
  KeywayError,
  type MessageRejectedError,
  type MessageRejectionReason,
  type RelayUnreachableError,
  type UnauthorizedError,
  type WrongChainError,
} from "keyway";
import { getAddress, isAddress } from "viem";
import { shortAddress } from "./format";

/** EIP-1193's code for a request the user turned down in the wallet. */
const USER_REJECTED = 4001;

/**
 * One sentence a user can act on, for anything an action threw. SDK errors are told apart by
 * their stable `code`, never by their message text.
 */
export function describeError(error: unknown): string {
  if (isUserRejection(error)) return "You rejected the request in your wallet; nothing was sent.";
  if (!(error instanceof KeywayError)) return sentence(error instanceof Error ? error.message : String(error));
  switch (error.code) {
    case "UNAUTHORIZED": {
      const { account, permission, streamId } = error as UnauthorizedError;
      // The relay refuses a subscribe without naming the account: it is the one signed in.
      const who = isAddress(account) ? shortAddress(getAddress(account)) : "your account";
      return `Not authorised: ${who} does not hold ${permission} on ${streamId}.`;
    }
    case "STREAM_NOT_FOUND":
      return "This stream does not exist (it may have been deleted).";
    case "STREAM_ALREADY_EXISTS":
      return "You already have a stream at this path; pick another path.";
    case "INVALID_STREAM_ID":
      return 'That is not a valid stream: a path starts with "/" and its segments use letters, digits, ".", "_" and "-".';
    case "INVALID_ADDRESS":
      return `${error.message.replace(/^Invalid address: /, "")} is not an Ethereum address.`;
    case "INVALID_PERMISSION":
      return "The public may only hold the publish and subscribe permissions.";
    case "INVALID_ARGUMENT":
      return sentence(error.message);
    case "WRONG_CHAIN": {
      const { actualChainId, expectedChainId } = error as WrongChainError;
      return `Wrong network: the wallet is on chain ${actualChainId}, the registry on chain ${expectedChainId}. Switch networks in your wallet.`;
    }
    case "REGISTRY_NOT_FOUND":
      return "There is no Keyway registry at the configured address on this chain (was the local chain restarted? Reload the page).";
    case "MISSING_SIGNER":
      return "Connect a wallet first.";
    case "CONTRACT_ERROR":
      return `The registry rejected the transaction: ${sentence(error.message)}`;
    case "RPC_ERROR":
      return `The chain could not be reached or refused the request: ${sentence(error.message)}`;
    case "RELAY_UNREACHABLE":
      return `The relay could not be reached (${(error as RelayUnreachableError).relayUrl}); is it running?`;
    case "AUTH_FAILED":
      return "The relay did not accept your sign-in; try again, and check your wallet is on the registry's chain.";
    case "MESSAGE_REJECTED":
      return rejection(error as MessageRejectedError);
    case "INVALID_GRANT":
      return `That is not a valid access grant: ${sentence((error as InvalidAccessGrantError).problem)}`;
    case "INVALID_DELEGATION":
      return `The session's delegation is not valid: ${sentence((error as InvalidDelegationError).problem)}`;
    case "RATE_LIMITED":
      return "The relay is limiting how fast you publish; wait a moment and try again.";
    case "TOO_LARGE":
      return "The message is too large for the relay.";
    case "DECRYPTION_FAILED":
      return UNDECRYPTABLE[(error as DecryptionError).reason];
    default:
      return sentence(error.message);
  }
}

/** Why a message was refused, for a publisher: the validator's reasons that can happen to one. */
const REJECTIONS: Partial<Record<MessageRejectionReason, string>> = {
  "no-permission": "Not authorised: your account does not hold the publish permission on this stream.",
  "timestamp-after-expiry": "Not authorised: your publish permission has expired.",
  "future-timestamp": "The relay refused the message: this computer's clock is ahead of the relay's.",
  "invalid-signature": "The relay refused the message: its signature does not match your account.",
  duplicate: "The relay already has this message.",
  "invalid-delegation": "The relay refused the session: it has expired, or your account no longer holds the permission on this stream.",
  "invalid-grant": "The relay refused the access grant: it has expired, or its issuer no longer holds Grant on this stream.",
};

/** Why a message of an encrypted stream was not shown: it is never shown undecrypted. */
const UNDECRYPTABLE: Record<DecryptionError["reason"], string> = {
  "key-unavailable":
    "A message could not be decrypted and was not shown: no key for it arrived (neither its publisher nor another reader holding the key answered; they may be offline).",
  "not-authentic": "A message could not be decrypted and was not shown: its ciphertext did not authenticate under its key (it was tampered with, or its publisher sent a bad key).",
};

/** A refused publish in words: the fixed sentence of its reason, or, for the stream's content rule, what in the message broke it. */
function rejection(error: MessageRejectedError): string {
  if (error.reason === "schema") {
    const violation = error.message.slice(error.message.lastIndexOf(": ") + 2);
    return `This stream accepts only content that matches the schema its owner set, and this message does not: ${sentence(violation)}`;
  }
  return REJECTIONS[error.reason] ?? sentence(error.message);
}

/** Whether anywhere in the cause chain a wallet said the user rejected the request. */
function isUserRejection(error: unknown): boolean {
  return errorChain(error).some((e) => (e as { code?: unknown } | null)?.code === USER_REJECTED);
}

function sentence(text: string): string {
  const first = text.split("\n")[0].trim();
  const capitalised = first.charAt(0).toUpperCase() + first.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}
