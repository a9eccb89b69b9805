import type { Address } from "viem";
import { InvalidArgumentError } from "../errors";
import { setBounded } from "./boundedMap";
import { keccak256 } from "./crypto";
import { hexToBytes } from "./hex";
import { DOMAIN_NAME, DOMAIN_VERSION, ENCRYPTED_STREAM_MESSAGE_TYPE, STREAM_MESSAGE_TYPE } from "./typedData";
import type { MessageDomain, StreamMessage } from "./types";

// EIP-712 by hand, because viem's hashTypedData re-encodes the type and every string on each
// call: here the type hash, each domain separator and the hashes of the strings that repeat
// along a chain (streamId, msgChainId, contentType) are computed once, and publishers' addresses
// decoded once. Tests check the result
// against viem's hashTypedData.

const encoder = new TextEncoder();
const MAX_CACHED_STRINGS = 4096;
const MAX_CACHED_DOMAINS = 64;

const stringHashes = new Map<string, Uint8Array>();
const domainSeparators = new Map<string, Uint8Array>();
let typeHash: Uint8Array | undefined;
let encryptedTypeHash: Uint8Array | undefined;

const addresses = new Map<Address, Uint8Array>();

/** The 20 bytes of an address, decoded once per publisher. */
function addressBytes(address: Address): Uint8Array {
  let bytes = addresses.get(address);
  if (bytes === undefined) {
    bytes = hexToBytes(address);
    setBounded(addresses, address, bytes, MAX_CACHED_STRINGS);
  }
  return bytes;
}

function hashString(value: string): Uint8Array {
  let hash = stringHashes.get(value);
  if (hash === undefined) {
    hash = keccak256(encoder.encode(value));
    setBounded(stringHashes, value, hash, MAX_CACHED_STRINGS);
  }
  return hash;
}

/** `hashStruct(EIP712Domain)` of a message domain, cached per chain id and registry. */
export function domainSeparator(domain: MessageDomain): Uint8Array {
  const key = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}`;
  let separator = domainSeparators.get(key);
  if (separator === undefined) {
    checkDomain(domain);
    const encoded = new Uint8Array(5 * 32);
    encoded.set(hashString("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"), 0);
    encoded.set(hashString(DOMAIN_NAME), 32);
    encoded.set(hashString(DOMAIN_VERSION), 64);
    writeWord(new DataView(encoded.buffer), 96, domain.chainId);
    encoded.set(hexToBytes(domain.verifyingContract), 140);
    separator = keccak256(encoded);
    setBounded(domainSeparators, key, separator, MAX_CACHED_DOMAINS);
  }
  return separator;
}

function checkDomain({ chainId, verifyingContract }: MessageDomain): void {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new InvalidArgumentError(`Invalid chain id ${chainId}`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(verifyingContract)) {
    throw new InvalidArgumentError(`Invalid registry address ${JSON.stringify(verifyingContract)}`);
  }
}

/**
 * Writes a safe integer as the big-endian 32-byte word at `offset`, as two uint32s: only
 * its low 8 bytes can be non-zero, and the others are left as they are (zero).
 */
function writeWord(target: DataView, offset: number, value: number): void {
  target.setUint32(offset + 24, Math.floor(value / 2 ** 32));
  target.setUint32(offset + 28, value >>> 0);
}

// Reused across calls (hashing is synchronous): the high bytes of each word are never
// written, so they stay zero. Twelve words: an encrypted message's `groupKeyId` is the last.
const PLAIN_WORDS = 11;
const struct = new Uint8Array((PLAIN_WORDS + 1) * 32);
const structView = new DataView(struct.buffer);
const digestInput = new Uint8Array(2 + 32 + 32);
digestInput[0] = 0x19;
digestInput[1] = 0x01;

/**
 * The EIP-712 digest a publisher signs: keccak256(0x1901 || domainSeparator || hashStruct(message)).
 * `content` may pass the message's content already as bytes, to skip decoding its hex again.
 */
export function hashStreamMessage(message: StreamMessage, domain: MessageDomain, content?: Uint8Array): Uint8Array {
  return hashWithSeparator(message, domainSeparator(domain), content);
}

/** `hashStreamMessage` for a domain separator computed once (a Publisher's, a MessageValidator's). */
export function hashWithSeparator(
  message: StreamMessage,
  separator: Uint8Array,
  content: Uint8Array = hexToBytes(message.content),
): Uint8Array {
  const { groupKeyId } = message;
  const encrypted = groupKeyId !== undefined;
  struct.set(
    encrypted
      ? (encryptedTypeHash ??= keccak256(encoder.encode(ENCRYPTED_STREAM_MESSAGE_TYPE)))
      : (typeHash ??= keccak256(encoder.encode(STREAM_MESSAGE_TYPE))),
    0,
  );
  struct.set(hashString(message.streamId), 32);
  writeWord(structView, 64, message.partition);
  writeWord(structView, 96, message.timestamp);
  writeWord(structView, 128, message.sequenceNumber);
  struct.set(addressBytes(message.publisher), 172);
  struct.set(hashString(message.msgChainId), 192);
  writeWord(structView, 224, message.prevTimestamp);
  writeWord(structView, 256, message.prevSequenceNumber);
  struct.set(hashString(message.contentType), 288);
  struct.set(keccak256(content), 320);
  if (encrypted) struct.set(hashString(groupKeyId), 352);
  digestInput.set(separator, 2);
  digestInput.set(keccak256(encrypted ? struct : struct.subarray(0, PLAIN_WORDS * 32)), 34);
  return keccak256(digestInput);
}
