import { BinaryFrameError, decodeBinaryFrame } from "./binaryFrames";

/** A frame from the server (JSON text, or a `keyway-binary` frame as bytes), or undefined when it is not an object with a string `type`. */
export function parseServerFrame(data: unknown): { type: string; id?: unknown; [field: string]: unknown } | undefined {
  if (data instanceof ArrayBuffer || data instanceof Uint8Array) {
    try {
      return decodeBinaryFrame(data instanceof ArrayBuffer ? new Uint8Array(data) : data, "server");
    } catch (error) {
      if (error instanceof BinaryFrameError) return undefined;
      throw error;
    }
  }
  if (typeof data !== "string") return undefined;
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof frame !== "object" || frame === null || typeof (frame as { type?: unknown }).type !== "string") return undefined;
  return frame as { type: string };
}
