import type { BackendName, CurveBackend, KeccakBackend } from "./backend";
import { loadNativeCurve, loadNativeKeccak } from "./native";
import { nobleCurve, nobleKeccak } from "./noble";

export type { BackendName, CurveBackend, KeccakBackend } from "./backend";

/** Which implementation signs, recovers and hashes messages in this process. */
export interface CryptoBackendInfo {
  curve: BackendName;
  keccak: BackendName;
}

type Choice = "auto" | "noble";

// The addons load on first use, not on import: a CLI read or a dApp that never touches
// messages does not pay for them.
let native: { curve?: CurveBackend; keccak?: KeccakBackend } | undefined;
let choice: Choice = "auto";
let curve: CurveBackend | undefined;
let keccak: KeccakBackend | undefined;

function select(): { curve: CurveBackend; keccak: KeccakBackend } {
  const available = choice === "auto" ? (native ??= { curve: loadNativeCurve(), keccak: loadNativeKeccak() }) : {};
  curve = available.curve ?? nobleCurve;
  keccak = available.keccak ?? nobleKeccak;
  return { curve, keccak };
}

export function curveBackend(): CurveBackend {
  return curve ?? select().curve;
}

export function keccak256(data: Uint8Array): Uint8Array {
  return (keccak ?? select().keccak).keccak256(data);
}

/** The backends in use: "native" unless the addons did not load (browsers, unsupported platforms). */
export function getCryptoBackend(): CryptoBackendInfo {
  return { curve: curveBackend().name, keccak: (keccak ?? select().keccak).name };
}

/**
 * Chooses the backends: "auto" (the default) takes the native addons where they loaded,
 * "noble" forces pure JS (to compare, or to rule the addons out). Returns what is now in use.
 */
export function useCryptoBackend(newChoice: Choice): CryptoBackendInfo {
  choice = newChoice;
  select();
  return getCryptoBackend();
}
