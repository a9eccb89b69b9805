import { streamExists } from "../sdk/actions/streamExists";
import type { SignedAccessGrant } from "../sdk/delegation/types";
import { ErrorCode } from "../sdk/relay/protocol";
import { admission, type Admission, type AuthorityRefusal, isAuthorityRefusal } from "./admission";
import { type Connection, holderOf } from "./connection";
import type { RelayContext } from "./context";
import type { Fields } from "./fields";
import { checkSubscribe } from "./nodeReads";
import { checkPartition } from "./partitions";
import { RequestError } from "./requestError";
import { subscribeBurst } from "./options";
import { takeToken } from "./tokenBucket";

/** What a request that needs Subscribe names: the stream partition, and the access grant it is judged by, if any. */
export interface SubscribeTarget {
  streamId: string;
  partition: number;
  grant?: SignedAccessGrant;
}

/** The `grant` field, parsed strictly (once per distinct grant); UNAUTHORIZED when malformed. */
export function readGrant(relay: RelayContext, fields: Fields): SignedAccessGrant | undefined {
  if (fields.grant === undefined) return undefined;
  try {
    return relay.authority.memo.accessGrant(fields.grant).struct;
  } catch (error) {
    throw isAuthorityRefusal(error) ? new RequestError(ErrorCode.UNAUTHORIZED, error.message) : error;
  }
}

/**
 * Takes a token of the connection's subscribe bucket: subscribe, history and presence may each
 * cost a node read and share one rate (`subscribeRate`, beyond a burst of `subscribeBurst`).
 */
export function takeSubscribeToken(relay: RelayContext, connection: Connection): void {
  if (!takeToken(connection.subscribeTokens, relay.limits.subscribeRate, subscribeBurst(relay.limits))) {
    throw new RequestError(ErrorCode.RATE_LIMITED, `at most ${relay.limits.subscribeRate} subscribes, history and presence queries per second per connection, beyond a burst of ${subscribeBurst(relay.limits)}`);
  }
}

/**
 * Whether the connection may subscribe to the target now (see `admission`: direct, public,
 * session key's delegation, access grant), read through the SDK's cache and counted among the
 * relay's `maxSubscribeReads` when it reads the node. A partition beyond the stream's count is
 * INVALID_REQUEST. Existence first: one read for a missing stream (then none while the cache
 * knows), where a permission read would cost a block and a call before saying nothing.
 */
export async function readAdmission(relay: RelayContext, connection: Connection, { streamId, partition, grant }: SubscribeTarget): Promise<Admission> {
  await checkPartition(relay, { streamId, partition }, ErrorCode.INVALID_REQUEST, "subscribeReads");
  return checkSubscribe(relay, connection, streamId, grant, async () => ((await streamExists(relay.client.context, { streamId })) ? await admission(relay, connection, streamId, grant) : { expiresAt: 0 }));
}

/** The refusal of a request the connection may not make: STREAM_NOT_FOUND, else UNAUTHORIZED saying why. */
export async function refusal(relay: RelayContext, connection: Connection, streamId: string, broken: AuthorityRefusal | undefined): Promise<RequestError> {
  if (!(await streamExists(relay.client.context, { streamId }))) return new RequestError(ErrorCode.STREAM_NOT_FOUND, `stream not found: ${streamId}`);
  if (broken !== undefined) return new RequestError(ErrorCode.UNAUTHORIZED, broken.message);
  const who = holderOf(connection) ?? "the public (sign in with auth to subscribe as yourself)";
  return new RequestError(ErrorCode.UNAUTHORIZED, `${who} may not subscribe to ${streamId}`);
}

/**
 * For the queries Subscribe holders may make (history, presence): takes a subscribe token and
 * resolves if the connection may subscribe to the target now, else rejects with its refusal.
 */
export async function requireSubscribe(relay: RelayContext, connection: Connection, target: SubscribeTarget): Promise<void> {
  takeSubscribeToken(relay, connection);
  const { expiresAt, refusal: broken } = await readAdmission(relay, connection, target);
  if (expiresAt === 0) throw await refusal(relay, connection, target.streamId, broken);
}
