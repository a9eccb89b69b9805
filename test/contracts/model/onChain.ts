import type { Interface } from "ethers";
import type { EIP1193Provider } from "hardhat/types";
import { type ExpiriesFunction, withWideExpiries } from "../fixtures";
import { FOREVER, type ModelError, type Operation, type Outcome } from "./registryModel";

/**
 * The chain side of the model-based test: sends an operation as a transaction and reads views,
 * through raw JSON-RPC on the in-process node (an order of magnitude faster than contract
 * objects, which matters at tens of thousands of calls per run).
 */
export interface Registry {
  provider: EIP1193Provider;
  address: string;
  abi: Interface;
}

/** The node's per-transaction cap (2^24): enough for any batch here, and no eth_estimateGas round trip. */
const GAS = "0x1000000";

export async function sendOperation(registry: Registry, sender: string, operation: Operation): Promise<Outcome> {
  let hash: string;
  try {
    hash = (await registry.provider.request({
      method: "eth_sendTransaction",
      params: [{ from: sender, to: registry.address, data: encodeOperation(registry.abi, operation), gas: GAS }],
    })) as string;
  } catch (error) {
    return { error: decodeRevert(registry.abi, error), events: [] };
  }
  const receipt = (await registry.provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as {
    status: string;
    logs: { address: string; topics: string[]; data: string }[];
  };
  if (receipt.status !== "0x1") throw new Error(`transaction ${hash} failed without throwing`);
  return {
    events: receipt.logs.map((log) => {
      if (log.address.toLowerCase() !== registry.address.toLowerCase()) throw new Error(`log from ${log.address}`);
      const parsed = registry.abi.parseLog(log);
      if (parsed === null) throw new Error(`unknown log ${JSON.stringify(log)}`);
      return [parsed.name, ...parsed.args.toArray()];
    }),
  };
}

/** Calls a view; a revert comes back as the decoded error. */
export async function callView(registry: Registry, data: string): Promise<{ result: string } | { error: ModelError }> {
  try {
    const result = (await registry.provider.request({ method: "eth_call", params: [{ to: registry.address, data }, "latest"] })) as string;
    return { result };
  } catch (error) {
    return { error: decodeRevert(registry.abi, error) };
  }
}

function encodeOperation(abi: Interface, op: Operation): string {
  switch (op.kind) {
    case "createStream":
      return abi.encodeFunctionData(op.kind, [op.path, op.metadata]);
    case "updateStreamMetadata":
      return abi.encodeFunctionData(op.kind, [op.streamId, op.metadata]);
    case "deleteStream":
      return abi.encodeFunctionData(op.kind, [op.streamId]);
    case "grantPermission":
    case "revokePermission":
      return abi.encodeFunctionData(op.kind, [op.streamId, op.user, op.permission]);
    case "revokeAllPermissionsForUser":
      return abi.encodeFunctionData(op.kind, [op.streamId, op.user]);
    case "revokePermissions":
      return abi.encodeFunctionData(op.kind, [op.streamId, op.users, op.masks]);
    case "grantPermissions":
    case "setPermissions":
      return encodeWithExpiries(abi, op.kind, [op.streamId, op.users, op.expiries], op.expiries.flat());
    case "setPermissionsMultipleStreams":
      return encodeWithExpiries(abi, op.kind, [op.streamIds, op.users, op.expiries], op.expiries.flat(2));
  }
}

/** Expiries beyond uint40 are sent as the uint256 words a raw caller could send. */
function encodeWithExpiries(abi: Interface, name: ExpiriesFunction, args: unknown[], expiries: number[]): string {
  return expiries.every((e) => e <= FOREVER) ? abi.encodeFunctionData(name, args) : withWideExpiries(abi, name, args);
}

/** The custom error in a revert, or the name "" for a revert without data. */
function decodeRevert(abi: Interface, error: unknown): ModelError {
  const data = (error as { data?: unknown }).data;
  if (typeof data !== "string") throw error;
  if (data === "0x") return { name: "", args: [] };
  const parsed = abi.parseError(data);
  if (parsed === null) return { name: `unknown revert ${data}`, args: [] };
  return { name: parsed.name, args: parsed.args.toArray() };
}
