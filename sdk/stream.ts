import type { TransactionReceipt } from "viem";
import type { PermissionQuery } from "./actions/getPermissionExpiry";
import type { KeywayClient } from "./client";
import type { PermissionAssignment } from "./permissions";

/** A permission question about a known stream: `PermissionQuery` without `streamId`. */
export type StreamPermissionQuery = PermissionQuery extends infer Q ? (Q extends unknown ? Omit<Q, "streamId"> : never) : never;

/** A stream, with the client's methods bound to its id (as the Streamr SDK's `Stream`). */
export class Stream {
  constructor(
    /** The normalised id: `<creator address, lowercase><path>`. */
    readonly id: string,
    private readonly client: KeywayClient,
    /** The receipt of the transaction that created the stream, for a stream from `createStream`. */
    readonly receipt?: TransactionReceipt,
  ) {}

  getMetadata(): Promise<string> {
    return this.client.getStreamMetadata(this.id);
  }

  setMetadata(metadata: string): Promise<TransactionReceipt> {
    return this.client.updateStreamMetadata(this.id, metadata);
  }

  delete(): Promise<TransactionReceipt> {
    return this.client.deleteStream(this.id);
  }

  getPermissions(): Promise<PermissionAssignment[]> {
    return this.client.getPermissions(this.id);
  }

  hasPermission(query: StreamPermissionQuery): Promise<boolean> {
    return this.client.hasPermission({ ...query, streamId: this.id } as PermissionQuery);
  }

  getPermissionExpiry(query: StreamPermissionQuery): Promise<number> {
    return this.client.getPermissionExpiry({ ...query, streamId: this.id } as PermissionQuery);
  }

  grantPermissions(...assignments: PermissionAssignment[]): Promise<TransactionReceipt> {
    return this.client.grantPermissions(this.id, ...assignments);
  }

  revokePermissions(...assignments: PermissionAssignment[]): Promise<TransactionReceipt> {
    return this.client.revokePermissions(this.id, ...assignments);
  }
}
