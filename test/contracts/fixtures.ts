import { ethers } from "hardhat";
import type { StreamRegistry } from "../../typechain-types";

export const FOREVER = 2 ** 40 - 1;
export enum Permission {
  Edit,
  Delete,
  Publish,
  Subscribe,
  Grant,
}

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
