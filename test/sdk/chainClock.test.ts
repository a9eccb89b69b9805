import { expect } from "chai";
import hre from "hardhat";
import { createProvider } from "hardhat/internal/core/providers/construction";
import type { EthereumProvider } from "hardhat/types";
import { createPublicClient, createWalletClient, custom } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { deployStreamRegistry, InvalidArgumentError, KeywayClient, StreamPermission } from "../../sdk";
import { KEYS } from "./fixtures";

const { PUBLISH } = StreamPermission;
const DAY_MS = 86_400_000;

/**
 * A fresh in-process Hardhat chain whose genesis is `offsetMs` away from the local clock, so
 * that its clock runs that far behind (negative) or ahead of the machine's, as a chain's clock
 * does after `evm_setNextBlockTimestamp` / `evm_increaseTime`.
 */
async function chainWithClockOffset(offsetMs: number): Promise<EthereumProvider> {
  const { config } = hre;
  const initialDate = new Date(Date.now() + offsetMs).toISOString();
  return createProvider({ ...config, networks: { ...config.networks, hardhat: { ...config.networks.hardhat, initialDate } } }, "hardhat");
}

describe("Expiries are judged by the chain's clock, not the local one", function () {
  async function clientOn(provider: EthereumProvider) {
    const transport = custom(provider, { retryCount: 0 });
    const walletClient = createWalletClient({ account: privateKeyToAccount(KEYS[0]), chain: hardhat, transport });
    const deployment = await deployStreamRegistry(walletClient, { network: "hardhat" });
    const publicClient = createPublicClient({ chain: hardhat, transport });
    const client = new KeywayClient({ deployment, walletClient, publicClient, cache: false });
    const stream = await client.createStream("/clock");
    const latest = async () => Number((await publicClient.getBlock()).timestamp);
    return { client, stream, latest };
  }
  const bob = privateKeyToAccount(KEYS[1]).address.toLowerCase();

  it("a chain a day behind the local clock: an expiry in its future is granted, though it is past locally", async () => {
    const { client, stream, latest } = await clientOn(await chainWithClockOffset(-DAY_MS));
    const expiry = (await latest()) + 100;
    expect(expiry * 1000).to.be.lessThan(Date.now());
    await stream.grantPermissions({ userId: bob, permissions: [PUBLISH], expiresAt: { publish: new Date(expiry * 1000) } });
    expect(await client.getPermissionExpiry({ streamId: stream.id, userId: bob, permission: PUBLISH })).to.equal(expiry);
  });

  it("a chain a day ahead of the local clock: an expiry in the local future but past on chain is refused (ExpiryInPast), nothing changes", async () => {
    const provider = await chainWithClockOffset(0);
    const { client, stream, latest } = await clientOn(provider);
    await provider.send("evm_increaseTime", [DAY_MS / 1000]);
    await provider.send("evm_mine", []);
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    expect(expiry).to.be.lessThan(await latest());
    const error = await stream
      .grantPermissions({ userId: bob, permissions: [PUBLISH], expiresAt: { publish: new Date(expiry * 1000) } })
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect((error as Error).message).to.match(new RegExp(`Expiry ${expiry} is not in the future on chain`));
    expect(await client.getPermissions(stream.id)).to.have.length(1);
  });
});
