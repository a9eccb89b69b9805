import type { CurveBackend } from "./backend";

// Browser stand-in for native.ts (mapped by the "browser" field of package.json): no addon.

export function loadNativeCurve(): CurveBackend | undefined {
  return undefined;
}
