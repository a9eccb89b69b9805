import { ethers } from "hardhat";
import { expect } from "chai";
import type { ContractTransactionResponse, Interface } from "ethers";
import type { Hex } from "viem";
import type { SignedStreamMessage, StreamMessage } from "../../sdk/message";
import type { StreamRegistry } from "../../typechain-types";

export type ExpiriesFunction = "grantPermissions" | "setPermissions" | "setPermissionsMultipleStreams";

export const FOREVER = 2 ** 40 - 1;
export enum Permission {
  Edit,
  Delete,
  Publish,
  Subscribe,
  Grant,
}
export const PERMISSIONS = [Permission.Edit, Permission.Delete, Permission.Publish, Permission.Subscribe, Permission.Grant];

/** One holder's expiry per permission, indexed by `Permission`; 0 = not held. */
export type Expiries = [number, number, number, number, number];
export const NONE: Expiries = [0, 0, 0, 0, 0];
export const ALL_FOREVER: Expiries = [FOREVER, FOREVER, FOREVER, FOREVER, FOREVER];

/** A fresh registry and a few funded accounts; use with `loadFixture`. */
export async function deployRegistryFixture() {
  const [creator, alice, bob, carol, ...others] = await ethers.getSigners();
  const registry = (await (await ethers.getContractFactory("StreamRegistry")).deploy()) as unknown as StreamRegistry;
  await registry.waitForDeployment();
  return { registry, creator, alice, bob, carol, others };
}

export function streamIdOf(creator: string, path: string): string {
  return `${creator.toLowerCase()}${path}`;
}

/** The registry's storage key and `streamKey` event topic of a stream id: keccak256 of its bytes. */
export function streamKeyOf(streamId: string): string {
  return ethers.id(streamId);
}

/** Packs expiries as `PermissionsUpdated` carries them (the reference model's, independent of the SDK). */
export { packExpiries } from "./model/registryModel";

/** Expiries with `expiry` for each permission listed and 0 for the others. */
export function expiriesOf(expiry: number, ...permissions: Permission[]): Expiries {
  const expiries: Expiries = [...NONE];
  for (const p of permissions) expiries[p] = expiry;
  return expiries;
}

/**
 * Calldata for a write whose expiries are encoded as uint256 instead of uint40 (same selector,
 * same layout): how a caller can send an expiry wider than 40 bits, which ethers refuses to encode.
 */
export function withWideExpiries(abi: Interface, functionName: ExpiriesFunction, args: readonly unknown[]): string {
  const fragment = abi.getFunction(functionName)!;
  const types = fragment.inputs.map((input) => input.format().replace("uint40", "uint256"));
  return ethers.concat([fragment.selector, ethers.AbiCoder.defaultAbiCoder().encode(types, args)]);
}

/** An SDK message as the verifiers' `StreamMessage` struct, whose `groupKeyId` is "" for a plain message. */
export function messageStruct(message: StreamMessage): Required<StreamMessage> {
  return { ...message, groupKeyId: message.groupKeyId ?? "" };
}

/** A signed SDK message as the verifiers take it: the struct, then the signature. */
export function splitSigned({ signature, ...message }: SignedStreamMessage): [Required<StreamMessage>, Hex] {
  return [messageStruct(message), signature];
}

/** Every log of a transaction, decoded, as `[eventName, ...args]`, in emission order. */
export async function eventsOf(registry: StreamRegistry, tx: Promise<ContractTransactionResponse>): Promise<unknown[][]> {
  const receipt = await (await tx).wait();
  return receipt!.logs.map((log) => {
    const parsed = registry.interface.parseLog(log);
    if (parsed === null) throw new Error(`unexpected log ${JSON.stringify(log)}`);
    return [parsed.name, ...parsed.args.toArray()];
  });
}

export async function expiriesOfUser(registry: StreamRegistry, id: string, user: string): Promise<number[]> {
  return (await registry.getPermissionsForUser(id, user)).map(Number);
}

/** Everything the views say about some streams and holders: compared before and after a rejected call. */
export async function stateOf(registry: StreamRegistry, ids: string[], holders: string[]) {
  return Promise.all(
    ids.map(async (id) => {
      const exists = await registry.exists(id);
      return {
        id,
        exists,
        metadata: exists ? await registry.getStreamMetadata(id) : null,
        creationBlock: exists ? await registry.getStreamCreationBlock(id) : null,
        expiries: await Promise.all(holders.map((holder) => expiriesOfUser(registry, id, holder))),
      };
    }),
  );
}

/** Runs `rejected` (which asserts the revert) and checks that no view of `ids` x `holders` changed. */
export async function expectNoChange(
  registry: StreamRegistry,
  ids: string[],
  holders: string[],
  rejected: () => Promise<void>,
): Promise<void> {
  const before = await stateOf(registry, ids, holders);
  await rejected();
  expect(await stateOf(registry, ids, holders)).to.deep.equal(before);
}
