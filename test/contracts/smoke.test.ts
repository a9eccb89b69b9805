import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { deployRegistryFixture, FOREVER, Permission, streamIdOf } from "./fixtures";

describe("StreamRegistry smoke", () => {
  it("creates a stream whose creator holds all five permissions forever", async () => {
    const { registry, creator, alice } = await loadFixture(deployRegistryFixture);
    const id = streamIdOf(creator.address, "/a/b");
    await expect(registry.createStream("/a/b", "{}")).to.emit(registry, "StreamCreated");
    expect(await registry.exists(id)).to.equal(true);
    expect((await registry.getPermissionsForUser(id, creator.address)).map(Number)).to.deep.equal(Array(5).fill(FOREVER));
    expect(await registry.hasPermission(id, alice.address, Permission.Publish)).to.equal(false);
  });
});
