import type { SignedDelegation } from "../delegation/types";
import type { MessageRef } from "../message/types";

// Relay protocol v1 as the client speaks it (../shared/notes/relay.md, docs/relay.md): JSON
// text frames, one object each, the kind in `type`; a request's `id` is echoed by its reply.

export const PROTOCOL_VERSION = 1;

/** The server's first frame on every connection. */
export interface HelloFrame {
  type: "hello";
  protocol: number;
  chainId: number;
  registry: string;
  /** Single-use SIWE nonce for `auth`. */
  nonce: string;
}

export interface AuthRequest {
  type: "auth";
  message: string;
  signature: string;
  /** A session key signs in as its holder with the holder's delegation (docs/delegation.md). */
  delegation?: SignedDelegation;
}

export interface SubscribeRequest {
  type: "subscribe";
  streamId: string;
  partition: number;
  /** Replay what the relay holds strictly after this position, then go live. */
  from?: MessageRef;
}

export interface UnsubscribeRequest {
  type: "unsubscribe";
  streamId: string;
  partition: number;
}

export interface PublishRequest {
  type: "publish";
  message: unknown;
}

export type RequestFrame = AuthRequest | SubscribeRequest | UnsubscribeRequest | PublishRequest;

export interface AuthenticatedReply {
  type: "authenticated";
  id: number;
  address: string;
  expiresAt: number | null;
  nonce?: string;
}

export interface SubscribedReply {
  type: "subscribed";
  id: number;
  streamId: string;
  partition: number;
}

export interface PublishedReply {
  type: "published";
  id: number;
}

/** The reply to `unsubscribe` (with `id`), or a push when the relay ends a subscription (without). */
export interface UnsubscribedFrame {
  type: "unsubscribed";
  id?: number;
  streamId: string;
  partition: number;
  reason: string;
}

export interface ErrorFrame {
  type: "error";
  id?: number | string | null;
  code: string;
  message?: string;
  /** The validator's reason, with code MESSAGE_REJECTED. */
  reason?: string;
}

export interface MessagePush {
  type: "message";
  streamId: string;
  partition: number;
  message: unknown;
}

/** The reply each request type gets when it succeeds. */
export interface ReplyOf {
  auth: AuthenticatedReply;
  subscribe: SubscribedReply;
  unsubscribe: UnsubscribedFrame;
  publish: PublishedReply;
}

/** Why the relay ended a subscription (the `reason` of an `unsubscribed` push). */
export type RelayUnsubscribeReason = "PERMISSION_REVOKED" | "PERMISSION_EXPIRED" | "STREAM_DELETED" | "SESSION_EXPIRED";

/** Connection close codes the relay uses. */
export const CloseCode = {
  POLICY_VIOLATION: 1008,
  TOO_LARGE: 1009,
  SLOW_CONSUMER: 1013,
} as const;

/** A frame from the server, or undefined when it is not a JSON object with a string `type`. */
export function parseServerFrame(data: unknown): { type: string; id?: unknown; [field: string]: unknown } | undefined {
  if (typeof data !== "string") return undefined;
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof frame !== "object" || frame === null || typeof (frame as { type?: unknown }).type !== "string") return undefined;
  return frame as { type: string };
}
