import type { RawData } from "ws";
import { KeywayError } from "../sdk/errors";
import type { Connection } from "./connection";
import type { RelayContext } from "./context";
import type { Fields } from "./fields";
import { handleAuth } from "./handlers/auth";
import { handleHistory } from "./handlers/history";
import { handlePresence } from "./handlers/presence";
import { handlePublish } from "./handlers/publish";
import { handleSponsor } from "./handlers/sponsor";
import { handleSubscribe } from "./handlers/subscribe";
import { handleUnsubscribe } from "./handlers/unsubscribe";
import { handleOpenInbox } from "./handlers/openInbox";
import { handleKeyRequest } from "./handlers/keyRequest";
import { handleKeyResponse } from "./handlers/keyResponse";
import { ErrorCode, type RequestId, Subprotocol } from "../sdk/relay/protocol";
import { BinaryFrameError, decodeBinaryFrame } from "../sdk/relay/binaryFrames";
import { RequestError } from "./requestError";

type Handler = (relay: RelayContext, connection: Connection, id: RequestId, fields: Fields) => Promise<void> | void;

const HANDLERS = new Map<string, Handler>([
  ["auth", handleAuth],
  ["subscribe", handleSubscribe],
  ["unsubscribe", handleUnsubscribe],
  ["publish", handlePublish],
  ["openInbox", handleOpenInbox],
  ["keyRequest", handleKeyRequest],
  ["keyResponse", handleKeyResponse],
  ["sponsor", handleSponsor],
  ["history", handleHistory],
  ["presence", handlePresence],
]);

function replyError(relay: RelayContext, connection: Connection, id: RequestId, error: unknown): void {
  if (error instanceof RequestError) {
    const { code, message, reason } = error;
    relay.send(connection, { type: "error", id, code, message, ...(reason !== undefined && { reason }) });
    return;
  }
  // Not the request's fault: the node failed or the relay has a bug. Say so; never crash.
  const message = error instanceof KeywayError ? error.message.split("\n")[0] : "the relay could not handle this request";
  relay.send(connection, { type: "error", id, code: ErrorCode.UNAVAILABLE, message });
}

/** A binary frame of a `keyway-binary` connection as its JSON object; INVALID_REQUEST when it is none. */
function readBinary(connection: Connection, data: RawData): unknown {
  if (!connection.binary) throw new RequestError(ErrorCode.INVALID_REQUEST, `binary frames need the ${Subprotocol.BINARY} subprotocol: send JSON text`);
  try {
    return decodeBinaryFrame(Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data, "request");
  } catch (error) {
    if (error instanceof BinaryFrameError) throw new RequestError(ErrorCode.INVALID_REQUEST, error.message);
    throw error;
  }
}

/**
 * Reads the frame (JSON text; a binary frame in the `keyway-binary` encoding), its id and type,
 * and runs the handler of that type; any failure becomes an `error` frame.
 */
export function dispatch(relay: RelayContext, connection: Connection, data: RawData, isBinary: boolean): void {
  connection.alive = true;
  let frame: unknown;
  try {
    if (isBinary) frame = readBinary(connection, data);
    else {
      try {
        frame = JSON.parse(data.toString());
      } catch {
        throw new RequestError(ErrorCode.INVALID_REQUEST, "the frame is not JSON");
      }
    }
    if (typeof frame !== "object" || frame === null || Array.isArray(frame)) {
      throw new RequestError(ErrorCode.INVALID_REQUEST, "a frame is a JSON object");
    }
  } catch (error) {
    return replyError(relay, connection, null, error);
  }
  const fields = frame as Fields;
  const { id = null, type } = fields;
  if (id !== null && typeof id !== "number" && typeof id !== "string") {
    return replyError(relay, connection, null, new RequestError(ErrorCode.INVALID_REQUEST, "id must be a number or a string"));
  }
  const handler = typeof type === "string" ? HANDLERS.get(type) : undefined;
  if (handler === undefined) {
    const known = [...HANDLERS.keys()].join(", ");
    return replyError(relay, connection, id, new RequestError(ErrorCode.INVALID_REQUEST, `unknown type ${JSON.stringify(type)}: expected one of ${known}`));
  }
  try {
    const done = handler(relay, connection, id, fields);
    if (done !== undefined) holdWhileAnswering(relay, connection, frameBytes(data), done.catch((error: unknown) => replyError(relay, connection, id, error)));
  } catch (error) {
    replyError(relay, connection, id, error);
  }
}

function frameBytes(data: RawData): number {
  return Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;
}

/** Whether the connection's requests, and all connections' together, wait below their bounds. */
function mayRead(relay: RelayContext, connection: Connection): boolean {
  const { maxPendingRequestBytes, maxPendingRequestBytesTotal } = relay.limits;
  return connection.pendingRequestBytes < maxPendingRequestBytes && relay.inFlight.requestBytes < maxPendingRequestBytesTotal;
}

/**
 * Counts a request's bytes until it is answered; past `maxPendingRequestBytes`, or with all
 * connections' past `maxPendingRequestBytesTotal`, the relay stops reading the connection (the
 * one whose request pushed it over: the others read on until theirs does) until enough answers
 * went out. A peer that sends faster than its publishes can be validated (a stalled node, a
 * flood) is slowed by TCP instead of growing the relay's memory; nothing is refused.
 */
function holdWhileAnswering(relay: RelayContext, connection: Connection, bytes: number, answered: Promise<void>): void {
  const { inFlight } = relay;
  connection.pendingRequestBytes += bytes;
  inFlight.requestBytes += bytes;
  if (!mayRead(relay, connection) && !connection.socket.isPaused) {
    connection.socket.pause();
    inFlight.paused.add(connection);
  }
  void answered.then(() => {
    connection.pendingRequestBytes -= bytes;
    inFlight.requestBytes -= bytes;
    if (inFlight.requestBytes >= relay.limits.maxPendingRequestBytesTotal) return;
    // A closed connection is let go too (resume does nothing then), once its own requests are answered.
    for (const paused of inFlight.paused) {
      if (!mayRead(relay, paused)) continue;
      inFlight.paused.delete(paused);
      paused.socket.resume();
    }
  });
}
