import type { PlatformWebSocket } from "./webSocket.types";

// Browser stand-in for webSocket.ts (mapped by the "browser" field of package.json): the
// platform's own WebSocket, no `ws` and no Node built-ins.

/** Opens a WebSocket to `url` with the browser's WebSocket. */
export function openWebSocket(url: string): PlatformWebSocket {
  return new globalThis.WebSocket(url) as unknown as PlatformWebSocket;
}
