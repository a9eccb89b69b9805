import { WebSocket as NodeWebSocket } from "ws";
import type { PlatformWebSocket } from "./webSocket.types";

// Browser builds map this file to webSocket.browser.ts (the "browser" field of package.json),
// so bundlers never see `ws`. Node 20 has no stable global WebSocket; `ws` speaks the same
// event-handler API (onopen, onmessage with string data for text frames, onclose, onerror).

/** Opens a WebSocket to `url`, offering `protocols`, with the platform's implementation (`ws` on Node: binary frames arrive as Buffers). */
export function openWebSocket(url: string, protocols: readonly string[]): PlatformWebSocket {
  return new NodeWebSocket(url, [...protocols]) as unknown as PlatformWebSocket;
}
