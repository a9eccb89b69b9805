import type { Interface, Signer } from "ethers";
import type { EIP1193Provider } from "hardhat/types";
import { type RegistryCall, signedChangeTypedData } from "../../../sdk";
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
  return sendData(registry, sender, encodeOperation(registry.abi, operation));
}

/** Who signs a signed operation and who sends it, with the nonce and the registry's domain. */
export interface SignedSending {
  signer: Signer;
  relayer: string;
  nonce: bigint;
  chainId: number;
}

/**
 * Sends `operation` as its `…BySig` twin: signed by `signer` (the model's sender), sent by
 * `relayer`. Undefined for an operation that cannot be signed as it stands (unequal batch
 * lengths, which the signed path reports before anything else, or an expiry beyond uint40):
 * the caller sends those directly.
 */
export async function sendSignedOperation(registry: Registry, operation: Operation, sending: SignedSending): Promise<Outcome | undefined> {
  const call = registryCall(operation);
  if (call === undefined) return undefined;
  const by = { signer: (await sending.signer.getAddress()) as `0x${string}`, nonce: sending.nonce, deadline: 2n ** 40n };
  const { domain, types, message } = signedChangeTypedData(call, by, { chainId: sending.chainId, registryAddress: registry.address as `0x${string}` });
  const signature = await sending.signer.signTypedData(domain as Record<string, unknown>, types as never, message);
  const data = registry.abi.encodeFunctionData(`${call.functionName}BySig`, [...call.args, by, signature]);
  return sendData(registry, sending.relayer, data);
}

type SignableExpiries = readonly (readonly [number, number, number, number, number])[];

function registryCall(op: Operation): RegistryCall | undefined {
  const sameLengths = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length;
  // What EIP-712 can carry: five expiries an entry, each a uint40.
  const signable = (expiries: readonly (readonly number[])[]): expiries is SignableExpiries =>
    expiries.every((e) => e.length === 5 && e.every((expiry) => expiry <= FOREVER));
  switch (op.kind) {
    case "createStream":
      return { functionName: op.kind, args: [op.path, op.metadata] };
    case "updateStreamMetadata":
      return { functionName: op.kind, args: [op.streamId, op.metadata] };
    case "deleteStream":
      return { functionName: op.kind, args: [op.streamId] };
    case "grantPermission":
    case "revokePermission":
      return { functionName: op.kind, args: [op.streamId, op.user as `0x${string}`, op.permission] };
    case "revokeAllPermissionsForUser":
      return { functionName: op.kind, args: [op.streamId, op.user as `0x${string}`] };
    case "revokePermissions":
      return sameLengths(op.users, op.masks) ? { functionName: op.kind, args: [op.streamId, op.users as `0x${string}`[], op.masks] } : undefined;
    case "grantPermissions":
    case "setPermissions":
      if (!sameLengths(op.users, op.expiries) || !signable(op.expiries)) return undefined;
      return { functionName: op.kind, args: [op.streamId, op.users as `0x${string}`[], op.expiries] };
    case "setPermissionsMultipleStreams": {
      const lengthsMatch = sameLengths(op.streamIds, op.users) && sameLengths(op.streamIds, op.expiries) && op.users.every((u, s) => sameLengths(u, op.expiries[s]));
      if (!lengthsMatch || !op.expiries.every(signable)) return undefined;
      return { functionName: op.kind, args: [op.streamIds, op.users as `0x${string}`[][], op.expiries as unknown as SignableExpiries[]] };
    }
  }
}

async function sendData(registry: Registry, sender: string, data: string): Promise<Outcome> {
  let hash: string;
  try {
    hash = (await registry.provider.request({
      method: "eth_sendTransaction",
      params: [{ from: sender, to: registry.address, data, gas: GAS }],
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
