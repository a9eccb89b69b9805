import { InvalidArgumentError } from "../errors";
import { domainSeparator, hashWithSeparator } from "./hash";
import { parseStreamMessage } from "./parse";
import { toMessageSigner, type MessageSigner, type SignerSource } from "./signers";
import { streamMessageTypedData } from "./typedData";
import type { MessageDomain, SignedStreamMessage, StreamMessage } from "./types";

export interface SignStreamMessageOptions {
  signer: SignerSource | MessageSigner;
  domain: MessageDomain;
}

/**
 * Signs a message with EIP-712 for `domain`. The message must be well formed
 * (InvalidMessageError otherwise) and its `publisher` must be the signer's address.
 */
export async function signStreamMessage(
  message: StreamMessage,
  { signer, domain }: SignStreamMessageOptions,
): Promise<SignedStreamMessage> {
  const checked = parseStreamMessage(message);
  const messageSigner = toMessageSigner(signer);
  const address = (await messageSigner.getAddress()).toLowerCase();
  if (address !== checked.publisher) {
    throw new InvalidArgumentError(`The signer is ${address}, but the message's publisher is ${checked.publisher}`);
  }
  return signCheckedMessage(checked, { signer: messageSigner, domain, separator: domainSeparator(domain) });
}

interface CheckedSigning {
  signer: MessageSigner;
  domain: MessageDomain;
  /** `domainSeparator(domain)`, computed once by the caller. */
  separator: Uint8Array;
  /** The content as bytes, if the caller has them: saves decoding the hex. */
  content?: Uint8Array;
}

/**
 * Signing without the checks, for callers that built a well-formed message whose publisher
 * is the signer (the Publisher). Takes `message` over: it is the object returned, with its
 * signature added (so the caller must pass a fresh one, not the user's). A signer that signs
 * synchronously (a private key) gets its answer without a promise: no turn of the event loop.
 */
export function signCheckedMessage(
  message: StreamMessage,
  { signer, domain, separator, content }: CheckedSigning,
): SignedStreamMessage | Promise<SignedStreamMessage> {
  const pending = signer.sign({
    digest: hashWithSeparator(message, separator, content),
    typedData: () => streamMessageTypedData(message, domain),
  });
  const signed = message as SignedStreamMessage;
  if (typeof pending === "string") {
    signed.signature = pending;
    return signed;
  }
  return pending.then((signature) => {
    signed.signature = signature;
    return signed;
  });
}
