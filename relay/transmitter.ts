import WebSocket from "ws";
import { encodeBinaryFrame } from "../sdk/relay/binaryFrames";
import { CloseCode, type ServerFrame } from "../sdk/relay/protocol";
import type { Connection } from "./connection";
import type { RelayLimits } from "./options";

/**
 * `payload` as one WebSocket frame on the wire (RFC 6455 §5.2: final, text or with `binary` a
 * binary frame, unmasked as server frames are, no compression, which the relay turns off): framed
 * once, the same buffer is written to any number of connections. ws frames the same way, once per
 * send; its `Sender.frame` would do, but it is not reachable through ws's ESM entry that the CLI bundles.
 */
export function wireFrame(payload: Uint8Array | string, binary = false): Buffer {
  const length = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = binary ? 0x82 : 0x81; // FIN + opcode 2 (binary) or 1 (text)
  if (length < 126) frame[1] = length;
  else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  if (typeof payload === "string") frame.write(payload, headerLength);
  else frame.set(payload, headerLength);
  return frame;
}

/**
 * A server frame given as its JSON text, as one wire frame in a connection's encoding: as is
 * for JSON, re-encoded for `keyway-binary` (the JSON form is the one the relay keeps and the
 * cluster's Redis carries; the binary one is made at send time).
 */
export function wireFrameIn(binary: boolean, json: Buffer | string): Buffer {
  return binary ? wireFrame(encodeBinaryFrame(JSON.parse(json.toString()) as ServerFrame, "server"), true) : wireFrame(json);
}

/** One server frame (JSON text) for many connections: encoded and framed once per encoding, by the first connection that takes it. */
export function framedOnce(json: Buffer | string): (connection: Pick<Connection, "binary">) => Buffer {
  let text: Buffer | undefined;
  let binary: Buffer | undefined;
  return (connection) => (connection.binary ? (binary ??= wireFrameIn(true, json)) : (text ??= wireFrameIn(false, json)));
}

/** Gathered writes go out once this much waits on a connection, not only at the end of the turn. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Sends frames to connections without letting slow readers grow the relay's memory: data
 * that would take a connection's unsent bytes past `maxBufferedBytes`, or all connections'
 * together past `maxBufferedBytesTotal`, closes it with 1013 instead if it has a backlog (a
 * reader keeping up is never closed; `onSlowConsumer` drops its subscriptions first). ws then
 * gives the close frame 30 s to get through before it destroys the socket. The total counts
 * each connection's unsent bytes as last seen, at its last write or drain (`attach`): it may
 * lag behind what the kernel took since, by less than a socket's high-water mark each.
 *
 * Frames are written pre-framed (`wireFrame`) to the TCP socket: a message is framed once,
 * not once per subscriber (the broadcast optimisation ws's authors suggest), and a connection's
 * writes within one turn of the event loop are corked and leave in one system call when the
 * turn ends: a burst of messages costs one write per subscriber, not one per message. ws
 * itself writes only control frames (ping, close) to the same socket, in the same order.
 */
export function createTransmitter({ maxBufferedBytes, maxBufferedBytesTotal }: Pick<RelayLimits, "maxBufferedBytes" | "maxBufferedBytesTotal">, onSlowConsumer: (connection: Connection) => void) {
  let corked: Connection[] = [];
  /** All connections' unsent bytes, each as last counted. */
  let unsent = 0;

  function count(connection: Connection): void {
    const now = connection.stream.writableLength;
    unsent += now - connection.unsentBytes;
    connection.unsentBytes = now;
  }

  /** Whether `size` more bytes would take the connection (with `waiting` unsent) or the relay past its limit. */
  const isOver = (waiting: number, size: number) => waiting + size > maxBufferedBytes || unsent + size > maxBufferedBytesTotal;

  function uncork(connection: Connection): void {
    if (!connection.corked) return;
    connection.corked = false;
    connection.stream.uncork();
  }

  function flush(): void {
    const gathered = corked;
    corked = [];
    for (const connection of gathered) uncork(connection);
  }

  function closeSlow(connection: Connection): void {
    onSlowConsumer(connection);
    connection.socket.close(CloseCode.SLOW_CONSUMER, "slow consumer");
  }

  /**
   * Resolves once the connection's socket has taken what waits for it (at once when it is not
   * above its high-water mark), or the connection closed: what paces a long send (a `from`
   * replay) by the reader instead of queueing it all against `maxBufferedBytes`.
   */
  async function drained(connection: Connection): Promise<void> {
    const { stream } = connection;
    if (!stream.writableNeedDrain || connection.socket.readyState !== WebSocket.OPEN) return;
    uncork(connection);
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.off("drain", done);
        stream.off("close", done);
        resolve();
      };
      stream.on("drain", done);
      stream.on("close", done);
    });
  }

  function write(connection: Connection, wire: Buffer): void {
    const { socket, stream } = connection;
    if (socket.readyState !== WebSocket.OPEN) return;
    let waiting = stream.writableLength;
    if (connection.corked && isOver(waiting, wire.length)) {
      // What this turn gathered is no backlog: it goes first, and only what the peer left unread counts.
      uncork(connection);
      waiting = stream.writableLength;
      count(connection);
    }
    // A frame larger than the limit still goes to a connection that has nothing waiting.
    if (waiting > 0 && isOver(waiting, wire.length)) return closeSlow(connection);
    if (!connection.corked) {
      connection.corked = true;
      stream.cork();
      if (corked.push(connection) === 1) setImmediate(flush);
    }
    stream.write(wire);
    if (stream.writableLength >= FLUSH_BYTES) uncork(connection);
    count(connection);
  }

  /** Follows a new connection's socket: its unsent bytes leave the total as it drains, and all of them when it closes. */
  function attach(connection: Connection): void {
    connection.stream.on("drain", () => count(connection));
    connection.stream.once("close", () => {
      unsent -= connection.unsentBytes;
      connection.unsentBytes = 0;
    });
  }

  const transmit = (connection: Connection, frame: Buffer | string) => write(connection, wireFrameIn(connection.binary, frame));
  return {
    /** Sends a frame already on the wire's form (`wireFrame`): what fan-out writes to every subscriber. */
    write,
    /** Sends one frame given as JSON text, in the connection's encoding. */
    transmit,
    /** Serialises and sends one frame in the connection's encoding (replies and pushes; messages go through `write`/`transmit` pre-serialised). */
    send: (connection: Connection, frame: ServerFrame) =>
      write(connection, connection.binary ? wireFrame(encodeBinaryFrame(frame, "server"), true) : wireFrame(JSON.stringify(frame))),
    drained,
    attach,
    /** Closes the connection with 1013, its subscriptions dropped first: too much waits for it. */
    closeSlow,
  };
}

export type Transmitter = ReturnType<typeof createTransmitter>;
