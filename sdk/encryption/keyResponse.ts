import type { Address, Hex } from "viem";
import { bytesToHex, hexToBytes } from "../message/hex";
import { isWellFormed, MAX_GROUP_KEY_ID_LENGTH } from "../message/parse";
import { normalizeStreamId } from "../streamId";
import { type GroupKey, importGroupKey } from "./groupKey";
import { MAX_REQUESTED_KEYS } from "./keyRequest";
import type { KeyResponse } from "./types";
import { agreeWrappingKey, type AgreementKeyPair, generateAgreementKeyPair, openAesGcm, sealAesGcm } from "./webCrypto";

/** Most keys in one response: those a request may name, and the publisher's current one. */
export const MAX_RESPONSE_KEYS = MAX_REQUESTED_KEYS + 1;
/** Longest `ciphertext` accepted, in hex characters: every key at its longest id. */
export const MAX_RESPONSE_CIPHERTEXT_LENGTH = 2 + 2 * (28 + MAX_RESPONSE_KEYS * (MAX_GROUP_KEY_ID_LENGTH * 3 + 120));

const WRAP_INFO = "keyway/key-wrap/v1";
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const ADDRESS = /^0x[0-9a-f]{40}$/;
const BYTES32 = /^0x[0-9a-f]{64}$/;
const SIGNATURE = /^0x[0-9a-f]{130}$/;
const HEX = /^0x(?:[0-9a-f]{2})+$/;

const wrapAad = (streamId: string, requestSignature: Hex) => encoder.encode(`keyway/keys/v1\n${streamId}\n${requestSignature}`);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Wraps `keys` (at most MAX_RESPONSE_KEYS) for the requester whose request had `requestPublicKey` and `requestSignature`. */
export async function wrapGroupKeys(streamId: string, request: { publicKey: Hex; signature: Hex }, keys: readonly GroupKey[]): Promise<KeyResponse> {
  const ephemeral = await generateAgreementKeyPair();
  const recipient = hexToBytes(request.publicKey);
  const wrapping = await agreeWrappingKey(ephemeral.privateKey, recipient, concat(ephemeral.publicKey, recipient), WRAP_INFO);
  const payload = encoder.encode(JSON.stringify(keys.slice(0, MAX_RESPONSE_KEYS).map((key) => [key.publisher, key.id, bytesToHex(key.raw)])));
  const sealed = await sealAesGcm(wrapping, payload, wrapAad(streamId, request.signature));
  return { streamId, requestSignature: request.signature, publicKey: bytesToHex(ephemeral.publicKey), ciphertext: bytesToHex(sealed) };
}

/** Whether `value` has a key response's shape, each field bounded (what a relay checks before forwarding it). */
export function isKeyResponse(value: unknown): value is KeyResponse {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { streamId, requestSignature, publicKey, ciphertext, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return false;
  if (typeof streamId !== "string" || streamId.length > 1024) return false;
  try {
    if (normalizeStreamId(streamId) !== streamId) return false;
  } catch {
    return false;
  }
  return (
    typeof requestSignature === "string" && SIGNATURE.test(requestSignature) &&
    typeof publicKey === "string" && BYTES32.test(publicKey) &&
    typeof ciphertext === "string" && ciphertext.length <= MAX_RESPONSE_CIPHERTEXT_LENGTH && HEX.test(ciphertext)
  );
}

/**
 * The group keys in `response`, opened with the requester's key pair; rejects when it was not
 * wrapped to that key for that request (or is malformed). Each key names its publisher and id.
 */
export async function unwrapGroupKeys(response: KeyResponse, own: AgreementKeyPair): Promise<GroupKey[]> {
  const sender = hexToBytes(response.publicKey);
  const wrapping = await agreeWrappingKey(own.privateKey, sender, concat(sender, own.publicKey), WRAP_INFO);
  const payload = await openAesGcm(wrapping, hexToBytes(response.ciphertext), wrapAad(response.streamId, response.requestSignature));
  const entries: unknown = JSON.parse(decoder.decode(payload));
  if (!Array.isArray(entries) || entries.length > MAX_RESPONSE_KEYS) throw new RangeError("a key response holds a list of at most 17 keys");
  return Promise.all(
    entries.map((entry: unknown) => {
      const [publisher, id, raw] = Array.isArray(entry) ? entry : [];
      const valid = typeof publisher === "string" && ADDRESS.test(publisher) && typeof id === "string" && id.length > 0 && id.length <= MAX_GROUP_KEY_ID_LENGTH && isWellFormed(id) && typeof raw === "string" && BYTES32.test(raw);
      if (!valid) throw new RangeError("a wrapped key is [publisher, id, 32-byte key]");
      return importGroupKey(publisher as Address, id, hexToBytes(raw as Hex));
    }),
  );
}
