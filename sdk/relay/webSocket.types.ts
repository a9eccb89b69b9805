/** The part of the WHATWG WebSocket API the relay client uses: browsers' and `ws`'s both have it. */
export interface PlatformWebSocket {
  readonly readyState: number;
  /** The subprotocol the server chose ("" for none). */
  readonly protocol: string;
  /** How binary frames arrive: the browser's default ("blob") is replaced by "arraybuffer". */
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** `readyState` of an open socket (the same in browsers and `ws`). */
export const OPEN = 1;
