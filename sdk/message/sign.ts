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
  const messageSigner = toMessageSigner(signer);
  const address = (await messageSigner.getAddress()).toLowerCase();
  if (address !== checked.publisher) {
    throw new InvalidArgumentError(`The signer is ${address}, but the message's publisher is ${checked.publisher}`);
  }
  return signCheckedMessage(checked, messageSigner, domain);
}

/**
 * Signing without the checks, for callers that built a well-formed message whose publisher
 * is the signer (the Publisher); `content` optionally gives the content as bytes.
 */
export async function signCheckedMessage(
  message: StreamMessage,
  signer: MessageSigner,
  domain: MessageDomain,
  content?: Uint8Array,
): Promise<SignedStreamMessage> {
  const signature = await signer.sign({
    digest: hashStreamMessage(message, domain, content),
    typedData: () => streamMessageTypedData(message, domain),
  });
  return { ...message, signature };
}
