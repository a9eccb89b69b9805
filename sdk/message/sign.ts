import { InvalidArgumentError } from "../errors";
import { hashStreamMessage } from "./hash";
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
  return signCheckedMessage(checked, toMessageSigner(signer), domain);
}

/** Signing without the checks, for callers that built the message themselves (the Publisher). */
export async function signCheckedMessage(
  message: StreamMessage,
  signer: MessageSigner,
  domain: MessageDomain,
): Promise<SignedStreamMessage> {
  const address = (await signer.getAddress()).toLowerCase();
  if (address !== message.publisher) {
    throw new InvalidArgumentError(`The signer is ${address}, but the message's publisher is ${message.publisher}`);
  }
  const signature = await signer.sign({
    digest: hashStreamMessage(message, domain),
    typedData: () => streamMessageTypedData(message, domain),
  });
  return { ...message, signature };
}
