import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { generateSiweNonce } from "viem/siwe";
import WebSocket, { WebSocketServer } from "ws";
import { type Connection, createConnection } from "./connection";
import type { RelayContext } from "./context";
import { dispatch } from "./dispatch";
import { setSignIn } from "./signIn";
import { CloseCode, PROTOCOL_VERSION, Subprotocol } from "../sdk/relay/protocol";
import { addressKeyOf } from "./remoteAddresses";
import { dropSubscriptions } from "./subscriptionLifecycle";

export interface SocketServer {
  port: number;
  connections: ReadonlySet<Connection>;
  /** Closes every connection with 1001 and stops listening. */
  close(): Promise<void>;
}

/**
 * The socket side of the relay: listening, the WebSocket handshake, the limits that protect
 * the process (connections in all and per remote address -> 503/429 at the upgrade, frame
 * size through ws's maxPayload -> 1009, the idle timeout -> 1008, the heartbeat that drops
 * peers that stopped answering), and hello.
 */
export async function listen(relay: RelayContext, { host, port }: { host: string; port: number }): Promise<SocketServer> {
  const { limits } = relay;
  const connections = new Set<Connection>();
  const http: Server = createServer((_request, response) => {
    response.writeHead(426, { "content-type": "text/plain", upgrade: "websocket" }).end("Keyway relay: connect with a WebSocket client\n");
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  // Attached once listening: a failed listen is the caller's error, not an unhandled one of ws.
  // Refused before the upgrade, with a status and a body: a refused client costs no WebSocket state.
  // ws emits "connection" in the same turn as an accepted verifyClient, so the counts cannot race.
  const verifyClient = ({ req }: { req: IncomingMessage }, accept: (ok: boolean, status?: number, message?: string) => void) => {
    const refusal = relay.addresses.refusal(addressKeyOf(req.socket.remoteAddress), connections.size);
    if (refusal === undefined) accept(true);
    else accept(false, refusal.status, refusal.message);
  };
  // `keyway-binary` when the client offers it; else what ws does without this hook (the first offered), and JSON is spoken.
  const handleProtocols = (offered: Set<string>) => (offered.has(Subprotocol.BINARY) ? Subprotocol.BINARY : (offered.values().next().value ?? false));
  const wss = new WebSocketServer({ server: http, maxPayload: limits.maxFrameBytes, perMessageDeflate: false, clientTracking: false, verifyClient, handleProtocols });
  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    const address = addressKeyOf(request.socket.remoteAddress);
    const connection = createConnection(socket, request.socket, request.headers.host ?? "", address, generateSiweNonce(), limits);
    connections.add(connection);
    relay.attach(connection);
    relay.addresses.opened(address);
    const idleTimer = setTimeout(() => {
      // Looked at again a period later; an open inbox (a publisher answering key requests) is a use too.
      if (connection.subscriptions.size > 0 || (connection.inbox && connection.signIn !== undefined)) idleTimer.refresh();
      else socket.close(CloseCode.POLICY_VIOLATION, "idle: no subscription, no inbox and nothing published");
    }, limits.idleTimeoutMs);
    connection.idleTimer = idleTimer;
    socket.on("message", (data, isBinary) => dispatch(relay, connection, data, isBinary));
    socket.on("pong", () => (connection.alive = true));
    // ws closes the connection itself after a protocol error (1009 for a frame over maxPayload).
    socket.on("error", () => undefined);
    socket.once("close", () => {
      connections.delete(connection);
      relay.addresses.closed(address);
      clearTimeout(connection.idleTimer);
      dropSubscriptions(relay, connection);
      setSignIn(relay, connection, undefined);
    });
    relay.send(connection, { type: "hello", protocol: PROTOCOL_VERSION, chainId: relay.chainId, registry: relay.registryAddress, nonce: connection.nonce });
  });

  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      // A connection whose reading the relay paused cannot show its pongs: not judged meanwhile.
      if (!connection.alive && !connection.socket.isPaused) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
    relay.broker.sweep();
    relay.addresses.sweep();
  }, limits.heartbeatIntervalMs);


  return {
    port: (http.address() as AddressInfo).port,
    connections,
    async close() {
      clearInterval(heartbeat);
      const closed = [...connections].map((connection) => new Promise((resolve) => connection.socket.once("close", resolve)));
      for (const connection of connections) connection.socket.close(CloseCode.GOING_AWAY, "relay shutting down");
      // A peer that does not answer the close frame is cut off after a second.
      const timer = setTimeout(() => connections.forEach((connection) => connection.socket.terminate()), 1_000);
      await Promise.all(closed);
      clearTimeout(timer);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
