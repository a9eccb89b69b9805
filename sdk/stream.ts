import type { TransactionReceipt } from "viem";
import type { PermissionQuery } from "./actions/getPermissionExpiry";
import type { PermissionAssignment } from "./permissions";

/** A permission question about a known stream: `PermissionQuery` without `streamId`. */
export type StreamPermissionQuery = PermissionQuery extends infer Q ? (Q extends unknown ? Omit<Q, "streamId"> : never) : never;

/** The methods of `KeywayClient` a Stream calls (declared here so that the client, which makes Streams, is not imported back). */
export interface StreamClient {
  getStreamMetadata(streamId: string): Promise<string>;
  getStreamPartitions(streamId: string): Promise<number>;
  updateStreamMetadata(streamId: string, metadata: string): Promise<TransactionReceipt>;
  deleteStream(streamId: string): Promise<TransactionReceipt>;
  getPermissions(streamId: string): Promise<PermissionAssignment[]>;
  hasPermission(query: PermissionQuery): Promise<boolean>;
  getPermissionExpiry(query: PermissionQuery): Promise<number>;
  grantPermissions(streamId: string, ...assignments: PermissionAssignment[]): Promise<TransactionReceipt>;
  revokePermissions(streamId: string, ...assignments: PermissionAssignment[]): Promise<TransactionReceipt>;
}

/** A stream, with the client's methods bound to its id (as the Streamr SDK's `Stream`). */
export class Stream {
  constructor(
    /** The normalised id: `<creator address, lowercase><path>`. */
    readonly id: string,
    private readonly client: StreamClient,
    /** The receipt of the transaction that created the stream, for a stream from `createStream`. */
    readonly receipt?: TransactionReceipt,
  ) {}

  getMetadata(): Promise<string> {
    return this.client.getStreamMetadata(this.id);
  }

  /** How many partitions the stream has (its metadata's `partitions`, else 1): Streamr's `getPartitionCount`, asynchronous here (the cache answers once warm). */
  getPartitionCount(): Promise<number> {
    return this.client.getStreamPartitions(this.id);
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
