import { KeywayError, RelayError, RelayUnreachableError } from "../errors";
import { type ErrorFields, relayErrorOf } from "./errors";
import { binaryFramesLoaded, encodeBinaryFrame, loadBinaryFrames } from "./binaryFrames";
import {
  type AuthRequest,
  CloseCode,
  type HelloFrame,
  PROTOCOL_VERSION,
  type ReplyOf,
  type RequestFrame,
  Subprotocol,
} from "./protocol";
import { parseServerFrame } from "./serverFrame";
import { openWebSocket } from "./webSocket";
import { OPEN, type PlatformWebSocket } from "./webSocket.types";

/**
 * A frame the relay sends without being asked: a `message`, or an `unsubscribed` that ends a
 * subscription. A `subscribed` reply comes this way too, in frame order, before its request
 * settles: the messages after it are that subscribe's.
 */
export type PushFrame = { type: string; [field: string]: unknown };

/**
 * The encoding of the frames to and from the relay: `auto` (default) offers both subprotocols and
 * speaks binary when the relay picks `keyway-binary`; `binary` offers only that one (a relay that
 * refuses it fails the handshake); `json` offers none and speaks JSON text, as before binary frames.
 */
export type RelayEncoding = "auto" | "json" | "binary";

const OFFERED: Record<RelayEncoding, readonly string[]> = {
  auto: [Subprotocol.BINARY, Subprotocol.JSON],
  binary: [Subprotocol.BINARY],
  json: [],
};

export interface RelayConnectionOptions {
  /** Relays of one cluster, tried in turn: a lost connection moves on to the next. */
  urls: readonly string[];
  /** Builds the `auth` frame for a hello of the relay at `url` (SIWE); without it the connection stays anonymous. */
  authenticate?: (hello: HelloFrame, url: string) => Promise<Omit<AuthRequest, "type">>;
  onPush: (frame: PushFrame) => void;
  /** After a dropped connection is open (and authenticated) again, before queued requests are re-sent. */
  onReconnected: () => void;
  /** The connection cannot serve (relay unreachable, auth refused): requests already failed with `error`. */
  onFailure: (error: KeywayError) => void;
  /** Whether anything (a live subscription) needs the connection when no request is pending. */
  isNeeded: () => boolean;
  /** First reconnect delay in ms, doubled per failed attempt up to `maxReconnectDelayMs` (defaults 100 and 5000). */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Default `auto`. */
  encoding?: RelayEncoding;
}

export interface RequestOptions {
  /** Kept across a dropped connection and sent again on the next one (publish); else it fails with RELAY_UNREACHABLE. */
  resend?: boolean;
  /** Called when the request is sent again on a new connection. */
  onResend?: () => void;
}

/** One shared WebSocket to a relay: opened on first use, re-opened after a drop. */
export interface RelayConnection {
  /** Sends a request once the connection is ready; resolves with its reply, rejects with a typed KeywayError. */
  request<T extends RequestFrame>(frame: T, options?: RequestOptions): Promise<ReplyOf[T["type"]]>;
  /** Closes the socket for good; pending requests fail. */
  close(): void;
  readonly isClosed: boolean;
}

interface Pending {
  frame: RequestFrame & { id: number };
  resend: boolean;
  onResend?: () => void;
  /** The socket it was sent on; undefined while waiting for a ready connection. */
  sentOn?: PlatformWebSocket;
  resolve(reply: unknown): void;
  reject(error: unknown): void;
}

const DEFAULT_RECONNECT_DELAY_MS = 100;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * The relay connection's life: connect, read `hello`, authenticate (SIWE) when a signer is
 * given, then send requests and match replies by `id`. Once a connection was ready, a drop
 * means reconnecting with exponential backoff (at once while a request is pending or a
 * subscription needs it, else with the next request), authenticating again, letting the
 * subscriptions resume (`onReconnected`), and re-sending the requests that asked for it;
 * requests made meanwhile wait. Failing to connect the first time fails the pending requests.
 */
export function createRelayConnection(options: RelayConnectionOptions): RelayConnection {
  const { urls, authenticate, onPush, onReconnected, onFailure, isNeeded } = options;
  const initialDelay = options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS;
  const maxDelay = options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS;
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: PlatformWebSocket | undefined;
  let ready = false;
  /** Set once a connection was ready; a drop then means reconnect, not failure. */
  let inSession = false;
  let attempts = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  /** The relay connected to (or tried), and how many were tried in a row without getting ready. */
  let urlIndex = 0;
  let failedInRow = 0;
  const currentUrl = () => urls[urlIndex];
  const encoding = options.encoding ?? "auto";
  let offered = OFFERED[encoding];
  /**
   * Whether the current socket's frames go out binary: as its hello came. A relay that picked
   * `keyway-binary` sends everything binary; one older than the encoding (ws then accepts the
   * first subprotocol offered) still sends JSON text, and is answered in JSON.
   */
  let binary = false;
  const send = (current: PlatformWebSocket, frame: RequestFrame) => current.send(binary ? encodeBinaryFrame(frame, "request") : JSON.stringify(frame));

  /** True while a browser fetches the binary codec for the first socket: requests meanwhile wait for that socket. */
  let loadingCodec = false;

  /** Opens a socket, once the binary codec is there when binary is offered (a browser fetches it then). */
  function connect(): void {
    if (offered.length === 0 || binaryFramesLoaded()) return open();
    if (loadingCodec) return;
    loadingCodec = true;
    loadBinaryFrames().then(
      () => {
        loadingCodec = false;
        open();
      },
      (error: unknown) => {
        loadingCodec = false;
        if (encoding === "binary") return fail(undefined, new RelayError("RELAY_ERROR", "PROTOCOL", `The binary frame codec could not be loaded: ${String(error)}`, { cause: error }));
        offered = OFFERED.json; // auto: JSON serves as well
        open();
      },
    );
  }

  function open(): void {
    if (closed) return;
    const current = openWebSocket(currentUrl(), offered);
    socket = current;
    ready = false;
    let authId: number | undefined;
    current.onopen = () => {};
    current.onerror = () => {}; // the close event that follows says what happened
    current.onclose = ({ code, reason }) => {
      if (socket === current) dropped(current, code, reason);
    };
    current.onmessage = ({ data }) => {
      if (socket !== current) return;
      const frame = parseServerFrame(data);
      if (frame === undefined) return; // not ours to answer: the relay speaks JSON objects
      if (frame.type === "hello") {
        binary = typeof data !== "string";
        void hello(current, frame as unknown as HelloFrame).then((id) => (authId = id));
      } else if (frame.id !== undefined && frame.id === authId) {
        authId = undefined;
        if (frame.type === "authenticated") becomeReady();
        else fail(current, relayErrorOf(frame as ErrorFields));
      } else if (typeof frame.id === "number" && pending.has(frame.id)) {
        const request = pending.get(frame.id)!;
        pending.delete(frame.id);
        if (frame.type === "subscribed") onPush(frame);
        if (frame.type === "error") request.reject(relayErrorOf(frame as ErrorFields, request.frame));
        else request.resolve(frame);
      } else if (frame.id === undefined && frame.type !== "error") {
        onPush(frame);
      }
    };
  }

  /** Answers the hello: authenticates (resolving with the auth request's id) or is ready at once. */
  async function hello(current: PlatformWebSocket, frame: HelloFrame): Promise<number | undefined> {
    if (frame.protocol !== PROTOCOL_VERSION) {
      fail(current, new RelayError("RELAY_ERROR", "PROTOCOL", `The relay speaks protocol ${frame.protocol}, this client ${PROTOCOL_VERSION}`));
      return undefined;
    }
    if (authenticate === undefined) {
      becomeReady();
      return undefined;
    }
    let auth: Omit<AuthRequest, "type">;
    try {
      auth = await authenticate(frame, currentUrl());
    } catch (error) {
      fail(current, error instanceof KeywayError ? error : new RelayError("AUTH_FAILED", "AUTH_FAILED", `Signing in failed: ${String(error)}`, { cause: error }));
      return undefined;
    }
    if (socket !== current || current.readyState !== OPEN) return undefined;
    const id = nextId++;
    send(current, { type: "auth", id, ...auth });
    return id;
  }

  function becomeReady(): void {
    ready = true;
    attempts = 0;
    failedInRow = 0;
    if (inSession) onReconnected();
    inSession = true;
    flush();
  }

  /** Sends, in order, every pending request not yet sent on the current socket. */
  function flush(): void {
    if (!ready || socket === undefined) return;
    for (const request of pending.values()) {
      if (request.sentOn === socket) continue;
      if (request.sentOn !== undefined) request.onResend?.();
      request.sentOn = socket;
      send(socket, request.frame);
    }
  }

  /** The connection cannot serve: every pending request fails with `error`, then `onFailure`. */
  function fail(current: PlatformWebSocket | undefined, error: KeywayError): void {
    if (socket !== current && socket !== undefined) return; // a newer socket took over
    socket = undefined;
    ready = false;
    inSession = false;
    failedInRow = 0;
    current?.close(1000);
    rejectPending(() => true, error);
    onFailure(error);
  }

  function rejectPending(which: (request: Pending) => boolean, error: KeywayError): void {
    for (const [id, request] of pending) {
      if (!which(request)) continue;
      pending.delete(id);
      request.reject(error);
    }
  }

  function dropped(current: PlatformWebSocket, code: number, reason: string): void {
    socket = undefined;
    ready = false;
    if (closed) return;
    const url = currentUrl();
    const detail = `connection closed (${code}${reason ? ` ${reason}` : ""})`;
    // Another relay of the cluster serves as well: the next one is tried.
    urlIndex = (urlIndex + 1) % urls.length;
    failedInRow += 1;
    if (!inSession && failedInRow >= urls.length) {
      fail(current, new RelayUnreachableError(urls.length === 1 ? url : urls.join(", "), `cannot connect: ${detail}`));
      return;
    }
    if (!inSession) {
      connect();
      return;
    }
    // A frame too large for the relay would be refused again: the requests in flight fail instead.
    if (code === CloseCode.TOO_LARGE) {
      rejectPending((r) => r.sentOn === current, new RelayError("TOO_LARGE", "TOO_LARGE", `The relay closed the connection: a frame was too large (${code})`));
    }
    rejectPending((r) => r.sentOn === current && !r.resend, new RelayUnreachableError(url, `${detail} before the relay answered`));
    // Idle until the next request, which reconnects (and waits for the relay) as after any drop.
    if (pending.size === 0 && !isNeeded()) return;
    const delay = Math.min(maxDelay, initialDelay * 2 ** attempts);
    attempts += 1;
    // Jitter spreads the reconnects of many clients after a relay restart.
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (!closed) connect();
    }, delay * (0.5 + Math.random() / 2));
  }

  function request<T extends RequestFrame>(frame: T, { resend = false, onResend }: RequestOptions = {}): Promise<ReplyOf[T["type"]]> {
    if (closed) return Promise.reject(new RelayUnreachableError(currentUrl(), "the client was destroyed"));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { frame: { ...frame, id }, resend, onResend, resolve: resolve as (reply: unknown) => void, reject });
      if (socket === undefined && reconnectTimer === undefined) connect();
      else flush();
    });
  }

  function close(): void {
    if (closed) return;
    closed = true;
    clearTimeout(reconnectTimer);
    const current = socket;
    socket = undefined;
    current?.close(1000);
    rejectPending(() => true, new RelayUnreachableError(currentUrl(), "the client was destroyed"));
  }

  return {
    request,
    close,
    get isClosed() {
      return closed;
    },
  };
}
