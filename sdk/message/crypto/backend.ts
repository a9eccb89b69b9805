/** Where the hashing and curve arithmetic run: native addons on Node, pure JS elsewhere. */
export type BackendName = "native" | "wasm" | "noble";

/** secp256k1 operations on 32-byte digests, in the shapes the native addon uses. */
export interface CurveBackend {
  readonly name: BackendName;
  /** A low-s signature: 64 bytes r || s and the recovery id (0 or 1). */
  sign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recoveryId: number };
  /** The 65-byte uncompressed public key, or undefined when the signature does not recover. */
  recoverPublicKey(digest: Uint8Array, signature: Uint8Array, recoveryId: number): Uint8Array | undefined;
}

export interface KeccakBackend {
  readonly name: BackendName;
  keccak256(data: Uint8Array): Uint8Array;
}
