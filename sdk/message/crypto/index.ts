import type { BackendName, CurveBackend, KeccakBackend } from "./backend";
import { loadNativeCurve } from "./native";
import { nobleCurve, nobleKeccak } from "./noble";
import { loadWasmKeccak } from "./wasm";

export type { BackendName, CurveBackend, KeccakBackend } from "./backend";

/** Which implementation signs, recovers and hashes messages in this process. */
export interface CryptoBackendInfo {
  curve: BackendName;
  keccak: BackendName;
}

type Choice = "auto" | "noble";

// The addon and the WebAssembly module load on first use, not on import: a CLI read or a
// dApp that never touches messages does not pay for them.
let fast: { curve?: CurveBackend; keccak?: KeccakBackend } | undefined;
let choice: Choice = "auto";
let curve: CurveBackend | undefined;
let keccak: KeccakBackend | undefined;

function select(): { curve: CurveBackend; keccak: KeccakBackend } {
  const available = choice === "auto" ? (fast ??= { curve: loadNativeCurve(), keccak: loadWasmKeccak() }) : {};
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

/**
 * The backends in use: the curve "native" unless the addon did not load (browsers, unsupported
 * platforms), Keccak "wasm" unless WebAssembly is missing or forbidden; "noble" otherwise.
 */
export function getCryptoBackend(): CryptoBackendInfo {
  return { curve: curveBackend().name, keccak: (keccak ?? select().keccak).name };
}

/**
 * Chooses the backends: "auto" (the default) takes the native addons where they loaded,
 * "noble" forces pure JS (to compare, or to rule the addon and WebAssembly out). Returns what is now in use.
 */
export function useCryptoBackend(newChoice: Choice): CryptoBackendInfo {
  choice = newChoice;
  select();
  return getCryptoBackend();
}
