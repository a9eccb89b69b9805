// A server for `npm run bench:relay`, in its own process so that its memory and CPU are its own:
// `keyway` (the project's relay) or `bare` (the yardstick: a `ws` server that rebroadcasts every
// frame a publisher sends to every connection that said "sub", with no checks). Forked with
// IPC: it sends {ready, port}; it answers {mem} with its memory after a gc().
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { createRelay } from "../../relay";

function rssBytes(): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return Number(match![1]) * 1024;
}

async function bare(): Promise<{ port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, clientTracking: false });
  await new Promise((resolve) => wss.once("listening", resolve));
  const subscribers = new Set<WebSocket>();
  wss.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => {
      if (!isBinary && (data as Buffer).length === 3 && data.toString() === "sub") {
        subscribers.add(socket);
        socket.send("subscribed");
        return;
      }
      for (const subscriber of subscribers) subscriber.send(data, { binary: false });
    });
    socket.on("close", () => subscribers.delete(socket));
  });
  return { port: (wss.address() as AddressInfo).port, close: () => new Promise((resolve) => wss.close(() => resolve())) };
}

async function main(): Promise<void> {
  const [kind, rpcUrl, registryAddress, pollingInterval] = process.argv.slice(2);
  // Its idle connections all come from 127.0.0.1, and its publishers send as fast as they can from one connection each.
  const server = kind === "bare" ? await bare() : await createRelay({ rpcUrl, registryAddress, port: 0, pollingInterval: Number(pollingInterval), publishRate: 1_000_000 });
  process.on("message", (request: { type: string }) => {
    if (request.type !== "mem") return;
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ type: "mem", ...process.memoryUsage(), rss: rssBytes() });
  });
  process.on("disconnect", () => void server.close().then(() => process.exit(0)));
  process.send!({ type: "ready", port: server.port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
