import { KeywayError, RelayUnreachableError, StreamNotFoundError, UnauthorizedError } from "../errors";
import { compareRefs } from "../message/parse";
import type { MessageRef } from "../message/types";
import { streamPartitionKey } from "../streamId";
import type { SignedAccessGrant } from "../delegation/types";
import type { PushFrame, RelayConnection } from "./connection";
import { type RelayUnsubscribeReason, type SubscribeRequest, UnsubscribeReason } from "./protocol";
import type { SubscriptionEndReason, SubscriptionHandle } from "./subscription";

/** One relay subscription (stream partition) of the connection, shared by the application's subscriptions to it. */
interface Entry {
  streamId: string;
  partition: number;
  /** Sent with every subscribe of it, the first one and each resume. */
  grant?: SignedAccessGrant;
  /** Asked with `joinLeave`: some handle wants join and leave events. */
  joinLeave: boolean;
  handles: Set<SubscriptionHandle>;
  /** Handles that joined with their own `resend.from`: they receive from the relay's next `subscribed` on, the one that starts their replay. */
  joining: Set<SubscriptionHandle>;
  /** Settles when the relay first confirms it (or refuses it). */
  confirmed: Promise<void>;
  isConfirmed: boolean;
  confirm(): void;
  refuse(error: KeywayError): void;
  /** Resumes refused UNAVAILABLE in a row: the next one waits longer. */
  unavailable: number;
  /** The next resume, while one waits for the relay to be able to serve it. */
  retry?: ReturnType<typeof setTimeout>;
}

/** A resume the relay refused UNAVAILABLE (it cannot read its history now) is asked again after this, doubling up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

/** The connection's subscriptions: subscribes and unsubscribes at the relay, routes pushes, resumes after a reconnect. */
export interface ConnectionSubscriptions {
  /** Adds a subscription; resolves once the relay has it live, rejects with the relay's typed refusal. */
  add(handle: SubscriptionHandle): Promise<void>;
  remove(handle: SubscriptionHandle): Promise<void>;
  /** A push from the relay: a message, or the end of a subscription. */
  route(frame: PushFrame): void;
  /** After a reconnect: subscribes everything again, each from its last delivered position. */
  resubscribeAll(): void;
  /** Ends everything: unconfirmed subscriptions reject with `error`; live ones emit it and end, unless `silently`. */
  endAll(error: KeywayError, silently?: boolean): void;
  readonly size: number;
}

const RELAY_REASONS = new Set<string>(Object.values(UnsubscribeReason).filter((reason) => reason !== UnsubscribeReason.REQUESTED));

/** Why a subscription ends when the relay refuses to resume it. */
function endReasonOf(error: KeywayError): SubscriptionEndReason {
  if (error instanceof UnauthorizedError) return "PERMISSION_REVOKED";
  if (error instanceof StreamNotFoundError) return "STREAM_DELETED";
  return "ERROR";
}

function earliest(refs: MessageRef[]): MessageRef | undefined {
  return refs.reduce<MessageRef | undefined>(
    (min, ref) => (min === undefined || compareRefs(ref.timestamp, ref.sequenceNumber, min.timestamp, min.sequenceNumber) < 0 ? ref : min),
    undefined,
  );
}

export function createConnectionSubscriptions(connection: () => RelayConnection): ConnectionSubscriptions {
  const entries = new Map<string, Entry>();

  function createEntry(streamId: string, partition: number, grant: SignedAccessGrant | undefined, joinLeave: boolean): Entry {
    let confirm!: () => void;
    let refuse!: (error: KeywayError) => void;
    const confirmed = new Promise<void>((resolve, reject) => {
      confirm = resolve;
      refuse = reject;
    });
    confirmed.catch(() => {}); // observed by every add() waiting on it
    const entry: Entry = {
      streamId,
      partition,
      grant,
      joinLeave,
      handles: new Set(),
      joining: new Set(),
      confirmed,
      isConfirmed: false,
      confirm: () => {
        entry.isConfirmed = true;
        entry.handles.forEach((handle) => handle.started());
        confirm();
      },
      refuse,
      unavailable: 0,
    };
    return entry;
  }

  const isCurrent = (entry: Entry) => entries.get(streamPartitionKey(entry.streamId, entry.partition)) === entry;

  function drop(entry: Entry): void {
    clearTimeout(entry.retry);
    if (isCurrent(entry)) entries.delete(streamPartitionKey(entry.streamId, entry.partition));
  }

  /** Where a resume starts: the earliest last-delivered position of the entry's subscriptions. */
  function resumeFromOf(entry: Entry): MessageRef | undefined {
    return earliest([...entry.handles].map((handle) => handle.resumeFrom()).filter((ref) => ref !== undefined));
  }

  /** Subscribes `entry` at the relay; a refusal ends it, a lost connection leaves it to the next resubscribe. */
  function subscribeAtRelay(entry: Entry, from: MessageRef | undefined): void {
    clearTimeout(entry.retry);
    const { streamId, partition, grant, joinLeave } = entry;
    const frame: SubscribeRequest = { type: "subscribe", streamId, partition, ...(from && { from }), ...(grant && { grant }), ...(joinLeave && { joinLeave }) };
    connection()
      .request(frame)
      .then(
        () => {
          entry.unavailable = 0;
          if (isCurrent(entry) && !entry.isConfirmed) entry.confirm();
        },
        (error: KeywayError) => {
          // A dropped connection resubscribes it when it reconnects; a failed one has ended it already.
          if (error instanceof RelayUnreachableError && !connection().isClosed) return;
          // A live subscription is not ended by a relay that cannot serve its resume yet (a cluster's Redis is down): asked again later.
          if (error.code === "UNAVAILABLE" && entry.isConfirmed && isCurrent(entry)) {
            const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** entry.unavailable++);
            entry.retry = setTimeout(() => subscribeAtRelay(entry, resumeFromOf(entry)), delay);
            return;
          }
          end(entry, error);
        },
      );
  }

  function end(entry: Entry, error: KeywayError, silently = false): void {
    drop(entry);
    if (!entry.isConfirmed) {
      entry.refuse(error);
      return;
    }
    for (const handle of entry.handles) handle.end(silently ? undefined : endReasonOf(error), silently ? undefined : error);
  }

  /**
   * A subscription with its own `resend.from` (or the first to want `joinLeave`) to a stream
   * partition the connection already receives: the relay subscription starts over from the
   * earliest position any of its subscriptions needs (the others drop what they already
   * delivered), and the newcomer receives from that subscribe's `subscribed` on: its replay, then live.
   */
  async function join(entry: Entry, handle: SubscriptionHandle): Promise<void> {
    await entry.confirmed; // one subscribe at a time: its frames are told apart from the new one's by the `subscribed` between
    if (!isCurrent(entry)) return add(handle);
    entry.handles.add(handle);
    entry.joining.add(handle);
    const { streamId, partition } = entry;
    connection()
      .request({ type: "unsubscribe", streamId, partition })
      .catch(() => undefined); // a relay that ended it already refuses the subscribe below, or takes it
    subscribeAtRelay(entry, resumeFromOf(entry));
  }

  async function add(handle: SubscriptionHandle): Promise<void> {
    const { streamId, partition } = handle.subscription;
    let entry = entries.get(streamPartitionKey(streamId, partition));
    if (entry !== undefined && handle.joinLeave && !entry.joinLeave) {
      entry.joinLeave = true;
      return join(entry, handle);
    }
    if (entry !== undefined && handle.resumeFrom() !== undefined) return join(entry, handle);
    if (entry === undefined) {
      entry = createEntry(streamId, partition, handle.grant, handle.joinLeave);
      entries.set(streamPartitionKey(streamId, partition), entry);
      subscribeAtRelay(entry, handle.resumeFrom());
    }
    entry.handles.add(handle);
    if (entry.isConfirmed) handle.started();
    try {
      await entry.confirmed;
    } catch (error) {
      entry.handles.delete(handle);
      throw error;
    }
  }

  return {
    get size() {
      return entries.size;
    },

    add,

    async remove(handle) {
      const { streamId, partition } = handle.subscription;
      const entry = entries.get(streamPartitionKey(streamId, partition));
      entry?.joining.delete(handle);
      if (entry === undefined || !entry.handles.delete(handle) || entry.handles.size > 0) return;
      drop(entry);
      try {
        await connection().request({ type: "unsubscribe", streamId, partition });
      } catch (error) {
        // Without a connection there is no subscription at the relay either; NOT_SUBSCRIBED: the relay ended it meanwhile.
        if (!(error instanceof RelayUnreachableError) && (error as KeywayError).code !== "NOT_SUBSCRIBED") throw error;
      }
    },

    route(frame) {
      const { streamId, partition } = frame as { streamId?: unknown; partition?: unknown };
      const entry = entries.get(streamPartitionKey(String(streamId), Number(partition)));
      if (entry === undefined) return; // already unsubscribed here: the relay's late pushes are dropped
      if (frame.type === "message") {
        for (const handle of entry.handles) if (!entry.joining.has(handle)) handle.receive(frame.message);
      } else if (frame.type === "join" || frame.type === "leave") {
        for (const handle of entry.handles) if (!entry.joining.has(handle)) handle.presenceChange(frame.type, String(frame.address));
      } else if (frame.type === "subscribed") {
        entry.joining.forEach((handle) => handle.started());
        entry.joining.clear();
      } else if (frame.type === "unsubscribed") {
        drop(entry);
        const reason = String(frame.reason);
        const known = RELAY_REASONS.has(reason) ? (reason as RelayUnsubscribeReason) : "ERROR";
        entry.handles.forEach((handle) => handle.end(known));
      }
    },

    resubscribeAll() {
      for (const entry of entries.values()) subscribeAtRelay(entry, resumeFromOf(entry));
    },

    endAll(error, silently = false) {
      for (const entry of [...entries.values()]) end(entry, error, silently);
    },
  };
}
