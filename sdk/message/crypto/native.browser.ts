import type { CurveBackend, KeccakBackend } from "./backend";

// Browser stand-in for native.ts (mapped by the "browser" field of package.json): no addons.

export function loadNativeCurve(): CurveBackend | undefined {
  return undefined;
}

export function loadNativeKeccak(): KeccakBackend | undefined {
  return undefined;
}
