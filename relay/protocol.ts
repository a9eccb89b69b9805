/**
 * Protocol v1 of the Keyway relay: the frames, error codes, unsubscribe reasons and close
 * codes. docs/relay.md mirrors this file; the SDK, the CLI and outside clients rely on the
 * names, so they change only with the protocol version.
 */
import type { SignedStreamMessage } from "../sdk/message/types";

export const PROTOCOL_VERSION = 1;

/** A request's id, echoed by its reply; `null` in the reply to a frame whose id could not be read. */
export type RequestId = number | string | null;

/** A position in a publisher's chain: `from` replays what came strictly after it. */
export interface Position {
  timestamp: number;
  sequenceNumber: number;
}

// Client -> relay

export interface AuthRequest {
  type: "auth";
  id: RequestId;
  /** EIP-4361 text: domain = the relay's Host, chainId = the relay's chain, nonce = the current nonce. */
  message: string;
  signature: string;
}

export interface SubscribeRequest {
  type: "subscribe";
  id: RequestId;
  streamId: string;
  /** Default 0. */
  partition?: number;
  from?: Position;
}

export interface UnsubscribeRequest {
  type: "unsubscribe";
  id: RequestId;
  streamId: string;
  partition?: number;
}

export interface PublishRequest {
  type: "publish";
  id: RequestId;
  /** A signed StreamMessage, as JSON (`toJSON` of the SDK). */
  message: unknown;
}

export type Request = AuthRequest | SubscribeRequest | UnsubscribeRequest | PublishRequest;

// Relay -> client

export interface HelloFrame {
  type: "hello";
  protocol: typeof PROTOCOL_VERSION;
  chainId: number;
  registry: string;
  /** Single-use SIWE nonce for this connection's next `auth`. */
  nonce: string;
}

export interface AuthenticatedFrame {
  type: "authenticated";
  id: RequestId;
  /** Lowercase. */
  address: string;
  /** Unix ms of the SIWE message's expirationTime, null when it has none. */
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

/** The reply to `unsubscribe` (reason REQUESTED, with its id) or a push when the relay ends a subscription. */
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
  /** With MESSAGE_REJECTED: the validator's reason (`duplicate`, `invalid-signature`, `no-permission`...). */
  reason?: string;
}

export type ServerFrame = HelloFrame | AuthenticatedFrame | SubscribedFrame | PublishedFrame | UnsubscribedFrame | MessageFrame | ErrorFrame;

/** Why a subscription ended. */
export const UnsubscribeReason = {
  /** The client asked (`unsubscribe`). */
  REQUESTED: "REQUESTED",
  /** The subscriber's Subscribe permission (direct or public) was revoked. */
  PERMISSION_REVOKED: "PERMISSION_REVOKED",
  /** The subscriber's Subscribe permission expired, by the chain's clock. */
  PERMISSION_EXPIRED: "PERMISSION_EXPIRED",
  /** The stream was deleted. */
  STREAM_DELETED: "STREAM_DELETED",
  /** The SIWE session that admitted the subscription expired (or was replaced by another address's). */
  SESSION_EXPIRED: "SESSION_EXPIRED",
} as const;
export type UnsubscribeReason = (typeof UnsubscribeReason)[keyof typeof UnsubscribeReason];

/** The `code` of an `error` frame. */
export const ErrorCode = {
  /** SIWE refused: wrong domain, chain, nonce (reused included), expired or future message, bad signature. */
  AUTH_FAILED: "AUTH_FAILED",
  /** The connection's address (or the public, when anonymous) may not subscribe to the stream. */
  UNAUTHORIZED: "UNAUTHORIZED",
  STREAM_NOT_FOUND: "STREAM_NOT_FOUND",
  /** Not JSON, not an object, unknown `type`, a field missing or of the wrong type. */
  INVALID_REQUEST: "INVALID_REQUEST",
  /** More publishes per second than the connection's allowance. */
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
  /** An unsubscribe for a (stream, partition) the connection is not subscribed to. */
  NOT_SUBSCRIBED: "NOT_SUBSCRIBED",
  /** The relay could not decide (the chain node is unreachable...): try again. */
  UNAVAILABLE: "UNAVAILABLE",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes the relay uses (RFC 6455 §7.4.1). */
export const CloseCode = {
  NORMAL: 1000,
  /** The relay is shutting down. */
  GOING_AWAY: 1001,
  /** Idle: neither authenticated nor subscribed within `idleTimeoutMs`. */
  POLICY_VIOLATION: 1008,
  /** A frame larger than `maxFrameBytes`. */
  TOO_LARGE: 1009,
  /** Slow consumer: more than `maxBufferedBytes` waiting to be sent. */
  SLOW_CONSUMER: 1013,
} as const;
