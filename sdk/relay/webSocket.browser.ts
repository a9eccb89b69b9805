import type { PlatformWebSocket } from "./webSocket.types";

// Browser stand-in for webSocket.ts (mapped by the "browser" field of package.json): the
// platform's own WebSocket, no `ws` and no Node built-ins.

/** Opens a WebSocket to `url`, offering `protocols`, with the browser's WebSocket: binary frames arrive as ArrayBuffers. */
export function openWebSocket(url: string, protocols: readonly string[]): PlatformWebSocket {
  const socket = new globalThis.WebSocket(url, [...protocols]);
  socket.binaryType = "arraybuffer";
  return socket as unknown as PlatformWebSocket;
}
