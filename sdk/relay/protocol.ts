import type { SignedAccessGrant, SignedDelegation } from "../delegation/types";
import type { MessageRef, SignedStreamMessage } from "../message/types";
import type { KeyResponse, SignedKeyRequest } from "../encryption/types";

/**
 * Protocol v1 of the Keyway relay, declared once for both ends: the relay (relay/) and the
 * SDK's client side (sdk/relay/) import these frames, codes and reasons. JSON text frames,
 * one object each, the kind in `type` (or the same objects in the `keyway-binary` encoding,
 * sdk/relay/binaryFrames.ts); a request's `id` is echoed by its reply. docs/relay.md
 * mirrors this file; outside clients rely on the names, so they change only with the version.
 */
export const PROTOCOL_VERSION = 1;

/**
 * WebSocket subprotocols (RFC 6455 §1.9) naming the encoding of protocol v1 on a connection:
 * the relay picks `keyway-binary` when a client offers it (binary frames, sdk/relay/binaryFrames.ts),
 * else JSON text frames (also with no subprotocol, and with one it does not know, as ws does).
 */
export const Subprotocol = {
  BINARY: "keyway-binary",
  JSON: "keyway-json",
} as const;
export type Subprotocol = (typeof Subprotocol)[keyof typeof Subprotocol];

/** A request's id, echoed by its reply; `null` in the reply to a frame whose id could not be read. */
export type RequestId = number | string | null;

/** A position in a publisher's chain: `from` replays what came strictly after it. */
export type Position = MessageRef;

// Client -> relay. The SDK's connection adds the `id` of each request it sends.

export interface AuthRequest {
  type: "auth";
  id?: RequestId;
  /** EIP-4361 text: domain = the relay's Host, chainId = the relay's chain, nonce = the current nonce. */
  message: string;
  signature: string;
  /**
   * A session key signs in as its holder: the SIWE message is the delegate's, this is the
   * holder's delegation to it (docs/delegation.md). The connection then acts as the holder,
   * for the delegation's streams and permissions, until the earlier of the two expiries.
   */
  delegation?: SignedDelegation;
}

export interface SubscribeRequest {
  type: "subscribe";
  id?: RequestId;
  streamId: string;
  /** Default 0. */
  partition?: number;
  /** Replay what the relay holds strictly after this position, then go live. */
  from?: Position;
  /** An access grant to the connection's signed-in address: the subscribe is judged by it alone. */
  grant?: SignedAccessGrant;
  /** Also push `join` and `leave` frames for this partition (issue 22). Default false. */
  joinLeave?: boolean;
}

export interface UnsubscribeRequest {
  type: "unsubscribe";
  id?: RequestId;
  streamId: string;
  partition?: number;
}

export interface PublishRequest {
  type: "publish";
  id?: RequestId;
  /** A signed StreamMessage, as JSON (`toJSON` of the SDK), with its `delegation` or `grant` when it carries one. */
  message: unknown;
}

// Key exchange of encrypted streams (docs/encryption.md): frames from client to client, addressed
// to signed-in addresses, across every relay of a cluster. The relay reads no key.

/** Receive the `keyRequest` and `keyResponse` frames addressed to the connection's signed-in address; keeps the connection from idling. */
export interface OpenInboxRequest {
  type: "openInbox";
  id?: RequestId;
}

/** Asks the clients signed in as `to` for group keys; the relay forwards only a request that `checkKeyRequest` passes for the connection's own address. */
export interface KeyRequestRequest {
  type: "keyRequest";
  id?: RequestId;
  /** Lowercase addresses: the publisher, or other Subscribe holders (at most `maxKeyRequestRecipients`). */
  to: string[];
  request: SignedKeyRequest;
}

/** Group keys wrapped to a requester's one-time key, for the clients signed in as `to`. */
export interface KeyResponseRequest {
  type: "keyResponse";
  id?: RequestId;
  to: string;
  response: KeyResponse;
}

/** A signed registry change (`signedChangeToJSON`'s object) for the relay to send from its sponsor key; needs a sign-in. */
export interface SponsorRequest {
  type: "sponsor";
  id?: RequestId;
  change: unknown;
}

// History and presence (issue 22): queries allowed to Subscribe holders, answered without subscribing.

export interface HistoryRequest {
  type: "history";
  id?: RequestId;
  streamId: string;
  /** Default 0. */
  partition?: number;
  /** At most this many messages, 1 to the relay's `maxHistoryLimit`. */
  limit: number;
  /** Only messages strictly after this position. */
  from?: Position;
  /** Newest first (default: oldest first, in acceptance order). */
  reverse?: boolean;
  /** An access grant to the connection's signed-in address: the query is judged by it alone, as a subscribe. */
  grant?: SignedAccessGrant;
}

export interface PresenceRequest {
  type: "presence";
  id?: RequestId;
  streamId: string;
  /** Default 0. */
  partition?: number;
  grant?: SignedAccessGrant;
}

export type RequestFrame =
  | AuthRequest
  | SubscribeRequest
  | UnsubscribeRequest
  | PublishRequest
  | OpenInboxRequest
  | KeyRequestRequest
  | KeyResponseRequest
  | SponsorRequest
  | HistoryRequest
  | PresenceRequest;

// Relay -> client

/** The server's first frame on every connection. */
export interface HelloFrame {
  type: "hello";
  protocol: number;
  chainId: number;
  registry: string;
  /** Single-use SIWE nonce for this connection's next `auth`. */
  nonce: string;
}

export interface AuthenticatedFrame {
  type: "authenticated";
  id: RequestId;
  /** Lowercase; with a delegation, the holder's. */
  address: string;
  /** Unix ms when the sign-in ends (the earlier of the SIWE expirationTime and the delegation's expiresAt), null when never. */
  expiresAt: number | null;
  /** A fresh single-use nonce for a later re-auth on this connection. */
  nonce: string;
}

export interface SubscribedFrame {
  type: "subscribed";
  id: RequestId;
  streamId: string;
  partition: number;
}

export interface PublishedFrame {
  type: "published";
  id: RequestId;
}

/** The reply to `unsubscribe` (reason REQUESTED, with its id) or a push when the relay ends a subscription (without). */
export interface UnsubscribedFrame {
  type: "unsubscribed";
  id?: RequestId;
  streamId: string;
  partition: number;
  reason: UnsubscribeReason;
}

export interface MessageFrame {
  type: "message";
  streamId: string;
  partition: number;
  message: SignedStreamMessage;
}

export interface ErrorFrame {
  type: "error";
  id: RequestId;
  code: ErrorCode;
  message: string;
  /** With MESSAGE_REJECTED: the validator's reason (`duplicate`, `invalid-signature`, `no-permission`...); with CHANGE_REFUSED: the SDK's error code (`NONCE_USED`...). */
  reason?: string;
}

/** The relay sent the sponsored change: its transaction (not yet mined). */
export interface SponsoredFrame {
  type: "sponsored";
  id: RequestId;
  transactionHash: string;
}

/** The reply to `openInbox`. */
export interface InboxOpenFrame {
  type: "inboxOpen";
  id: RequestId;
}

/** The reply to `keyRequest` and `keyResponse`: forwarded to every relay of the cluster (delivered to whoever has an inbox open there). */
export interface ForwardedFrame {
  type: "forwarded";
  id: RequestId;
}

/** A key request pushed to an open inbox: `from` is the requester's signed-in address. */
export interface KeyRequestFrame {
  type: "keyRequest";
  from: string;
  request: SignedKeyRequest;
}

/** A key response pushed to an open inbox: `from` is the answerer's signed-in address. */
export interface KeyResponseFrame {
  type: "keyResponse";
  from: string;
  response: KeyResponse;
}

/** The reply to `history`: the kept messages, exactly as published. */
export interface HistoryFrame {
  type: "history";
  id: RequestId;
  messages: SignedStreamMessage[];
}

/** A signed-in address subscribed to a stream partition, and how many connections it holds, across the cluster. */
export interface PresenceClient {
  /** Lowercase. */
  address: string;
  connections: number;
}

/** The reply to `presence`. */
export interface PresenceFrame {
  type: "presence";
  id: RequestId;
  streamId: string;
  partition: number;
  /** Subscriptions to the partition, anonymous ones (counted, not listed) included. */
  count: number;
  clients: PresenceClient[];
}

/** Pushed to a subscription made with `joinLeave: true` when a signed-in address starts (`join`) or stops (`leave`) being subscribed to its partition. */
export interface JoinLeaveFrame {
  type: "join" | "leave";
  streamId: string;
  partition: number;
  /** Lowercase. */
  address: string;
}

export type ServerFrame =
  | HelloFrame
  | AuthenticatedFrame
  | SubscribedFrame
  | PublishedFrame
  | UnsubscribedFrame
  | MessageFrame
  | ErrorFrame
  | InboxOpenFrame
  | ForwardedFrame
  | KeyRequestFrame
  | KeyResponseFrame
  | SponsoredFrame

  | HistoryFrame
  | PresenceFrame
  | JoinLeaveFrame;

/** The reply each request type gets when it succeeds. */
export interface ReplyOf {
  auth: AuthenticatedFrame;
  subscribe: SubscribedFrame;
  unsubscribe: UnsubscribedFrame;
  publish: PublishedFrame;
  openInbox: InboxOpenFrame;
  keyRequest: ForwardedFrame;
  keyResponse: ForwardedFrame;
  sponsor: SponsoredFrame;
  history: HistoryFrame;
  presence: PresenceFrame;
}

/** Why a subscription ended. */
export const UnsubscribeReason = {
  /** The client asked (`unsubscribe`). */
  REQUESTED: "REQUESTED",
  /** The right the subscription rested on was revoked on chain: the subscriber's Subscribe (direct or public), its session's holder's, or its grant issuer's Grant. */
  PERMISSION_REVOKED: "PERMISSION_REVOKED",
  /** That right expired by the chain's clock, or the access grant that admitted it expired. */
  PERMISSION_EXPIRED: "PERMISSION_EXPIRED",
  /** The stream was deleted. */
  STREAM_DELETED: "STREAM_DELETED",
  /** The sign-in that admitted it ended: SIWE expirationTime or the delegation's expiresAt passed, or another auth replaced it. */
  SESSION_EXPIRED: "SESSION_EXPIRED",
} as const;
export type UnsubscribeReason = (typeof UnsubscribeReason)[keyof typeof UnsubscribeReason];

/** Why the relay ended a subscription on its own (the `reason` of an `unsubscribed` push). */
export type RelayUnsubscribeReason = Exclude<UnsubscribeReason, "REQUESTED">;

/** The `code` of an `error` frame. */
export const ErrorCode = {
  /** SIWE refused (wrong domain, chain, nonce, reused nonce, expired or future message, bad signature) or its delegation invalid. */
  AUTH_FAILED: "AUTH_FAILED",
  /** The connection (its address, its session's delegation, the public) or the subscribe's grant does not allow the subscribe. */
  UNAUTHORIZED: "UNAUTHORIZED",
  STREAM_NOT_FOUND: "STREAM_NOT_FOUND",
  /** Not JSON, not an object, unknown `type`, a field missing or of the wrong type. */
  INVALID_REQUEST: "INVALID_REQUEST",
  /** More publishes per second than the connection's allowance; or a sign-in refused unread (too many failed from this address or connection, or contract wallet checks busy). */
  RATE_LIMITED: "RATE_LIMITED",
  /**
   * A frame larger than `maxFrameBytes`. Never sent as a frame: the relay stops reading and
   * closes the connection with 1009 (CloseCode.TOO_LARGE); listed so that clients name it.
   */
  TOO_LARGE: "TOO_LARGE",
  /** The validator refused the message; `reason` says why. Nobody received it. */
  MESSAGE_REJECTED: "MESSAGE_REJECTED",
  /** The message does not have the StreamMessage shape (the validator's `malformed`). */
  INVALID_MESSAGE: "INVALID_MESSAGE",
  /** `subscribeLimit` subscriptions are open already on this connection. */
  TOO_MANY_SUBSCRIPTIONS: "TOO_MANY_SUBSCRIPTIONS",
  /** A subscribe for a (stream, partition) the connection is subscribed to already. */
  ALREADY_SUBSCRIBED: "ALREADY_SUBSCRIBED",
  /** An unsubscribe for a (stream, partition) the connection is not subscribed to, or a subscribe whose subscription ended (`reason`) before it was confirmed. */
  NOT_SUBSCRIBED: "NOT_SUBSCRIBED",
  /** `sponsor`: the registry would refuse the signed change (simulated, nothing sent); `reason` is the SDK's code (SIGNATURE_EXPIRED, NONCE_USED, INVALID_SIGNATURE, UNAUTHORIZED...). */
  CHANGE_REFUSED: "CHANGE_REFUSED",
  /** The relay could not decide (the chain node is unreachable...): try again. */
  UNAVAILABLE: "UNAVAILABLE",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes the relay uses (RFC 6455 §7.4.1). */
export const CloseCode = {
  NORMAL: 1000,
  /** The relay is shutting down. */
  GOING_AWAY: 1001,
  /** Idle (no subscription, nothing published within `idleTimeoutMs`), or `maxAuthFailures` failed sign-ins. */
  POLICY_VIOLATION: 1008,
  /** A frame larger than `maxFrameBytes`. */
  TOO_LARGE: 1009,
  /** Slow consumer: more than `maxBufferedBytes` waiting to be sent. */
  SLOW_CONSUMER: 1013,
} as const;
