import type { BackendName, CurveBackend, KeccakBackend } from "./backend";
import { loadNativeCurve, loadNativeKeccak } from "./native";
import { nobleCurve, nobleKeccak } from "./noble";

export type { BackendName, CurveBackend, KeccakBackend } from "./backend";

/** Which implementation signs, recovers and hashes messages in this process. */
export interface CryptoBackendInfo {
  curve: BackendName;
  keccak: BackendName;
}

const native = { curve: loadNativeCurve(), keccak: loadNativeKeccak() };
let curve: CurveBackend = native.curve ?? nobleCurve;
let keccak: KeccakBackend = native.keccak ?? nobleKeccak;

export function curveBackend(): CurveBackend {
  return curve;
}

export function keccak256(data: Uint8Array): Uint8Array {
  return keccak.keccak256(data);
}

/** The backends in use: "native" unless the addons did not load (browsers, unsupported platforms). */
export function getCryptoBackend(): CryptoBackendInfo {
  return { curve: curve.name, keccak: keccak.name };
}

/**
 * Chooses the backends: "auto" (the default) takes the native addons where they loaded,
 * "noble" forces pure JS (to compare, or to rule the addons out). Returns what is now in use.
 */
export function useCryptoBackend(choice: "auto" | "noble"): CryptoBackendInfo {
  curve = (choice === "auto" ? native.curve : undefined) ?? nobleCurve;
  keccak = (choice === "auto" ? native.keccak : undefined) ?? nobleKeccak;
  return getCryptoBackend();
}
