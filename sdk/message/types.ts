import type { Address, Hex } from "viem";

/**
 * One data point of a stream, as signed: exactly the fields of the EIP-712 `StreamMessage`
 * type. Times are unix milliseconds (Streamr's convention); `prevTimestamp = 0` marks the
 * first message of its chain (publisher, msgChainId).
 */
export interface StreamMessage {
  /** Canonical stream id (lowercase creator address + path). */
  streamId: string;
  partition: number;
  timestamp: number;
  sequenceNumber: number;
  /** Lowercase 0x address of the signer. */
  publisher: Address;
  msgChainId: string;
  prevTimestamp: number;
  prevSequenceNumber: number;
  contentType: string;
  /** The payload, 0x hex: with `groupKeyId`, the AES-256-GCM ciphertext of it (docs/encryption.md). */
  content: Hex;
  /**
   * Present exactly when `content` is encrypted: names the publisher's group key that
   * encrypted it. The message is then signed as the EIP-712 `EncryptedStreamMessage` type
   * (the StreamMessage fields and this one), so a plain message keeps its signature.
   */
  groupKeyId?: string;
}

export interface SignedStreamMessage extends StreamMessage {
  /** 0x + 65 bytes r || s || v, low s, v 27 or 28. */
  signature: Hex;
}

/** The chain and registry a message is signed for: the variable part of the EIP-712 domain. */
export interface MessageDomain {
  chainId: number;
  /** The StreamRegistry's address. */
  verifyingContract: Address;
}

/** A message's position in its chain. */
export interface MessageRef {
  timestamp: number;
  sequenceNumber: number;
}
