import { loadFixture, mine, takeSnapshot, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import type { ContractTransactionResponse, Signer } from "ethers";
import type { StreamRegistry } from "../../typechain-types";
import {
  ALL_FOREVER,
  deployRegistryFixture,
  eventsOf,
  expectNoChange,
  expiriesOf,
  expiriesOfUser,
  FOREVER,
  NONE,
  packExpiries,
  Permission,
  PERMISSIONS,
  stateOf,
  streamIdOf,
  streamKeyOf,
  withWideExpiries,
} from "./fixtures";

const PATH = "/sensors/temperature";
const METADATA = '{"partitions":1}';
const PUBLIC = ethers.ZeroAddress;
const NOT_PUBLISHABLE = [Permission.Edit, Permission.Delete, Permission.Grant];

/** A registry with one stream, created by `creator`, and nobody else holding anything. */
async function streamFixture() {
  const accounts = await deployRegistryFixture();
  const { registry, creator } = accounts;
  await registry.createStream(PATH, METADATA);
  const id = streamIdOf(creator.address, PATH);
  return { ...accounts, id, key: streamKeyOf(id) };
}

function updated(key: string, holder: string, expiries: readonly number[]): unknown[] {
  return ["PermissionsUpdated", key, holder, packExpiries(expiries)];
}

/** The public and the given accounts: the holders a rejected call must leave as they were. */
async function holders(...signers: Signer[]): Promise<string[]> {
  return [PUBLIC, ...(await Promise.all(signers.map((s) => s.getAddress())))];
}

describe("StreamRegistry", () => {
  describe("createStream", () => {
    it("creates <caller lowercase><path>, with metadata, the creation block and all five permissions forever for the caller", async () => {
      const { registry, creator, alice } = await loadFixture(deployRegistryFixture);
      const id = streamIdOf(creator.address, PATH);
      const key = streamKeyOf(id);
      const tx = registry.createStream(PATH, METADATA);
      expect(await eventsOf(registry, tx)).to.deep.equal([
        ["StreamCreated", key, id, METADATA],
        updated(key, creator.address, ALL_FOREVER),
      ]);
      const receipt = await (await tx).wait();
      expect(await registry.exists(id)).to.equal(true);
      expect(await registry.getStreamMetadata(id)).to.equal(METADATA);
      expect(await registry.getStreamCreationBlock(id)).to.equal(receipt!.blockNumber);
      expect(await expiriesOfUser(registry, id, creator.address)).to.deep.equal(ALL_FOREVER);
      expect(await expiriesOfUser(registry, id, alice.address)).to.deep.equal(NONE);
      for (const p of PERMISSIONS) {
        expect(await registry.hasPermission(id, creator.address, p)).to.equal(true);
        expect(await registry.hasDirectPermission(id, creator.address, p)).to.equal(true);
        expect(await registry.hasPublicPermission(id, p)).to.equal(false);
        expect(await registry.hasPermission(id, alice.address, p)).to.equal(false);
      }
    });

    it("builds the id from the caller: the same path makes one stream per creator", async () => {
      const { registry, creator, alice } = await loadFixture(deployRegistryFixture);
      await registry.createStream(PATH, "mine");
      await expect(registry.connect(alice).createStream(PATH, "hers"))
        .to.emit(registry, "StreamCreated")
        .withArgs(streamKeyOf(streamIdOf(alice.address, PATH)), streamIdOf(alice.address, PATH), "hers");
      expect(await registry.getStreamMetadata(streamIdOf(creator.address, PATH))).to.equal("mine");
      expect(await registry.getStreamMetadata(streamIdOf(alice.address, PATH))).to.equal("hers");
      expect(await registry.hasPermission(streamIdOf(alice.address, PATH), creator.address, Permission.Grant)).to.equal(false);
    });

    it("accepts empty metadata", async () => {
      const { registry, creator } = await loadFixture(deployRegistryFixture);
      await registry.createStream("/a", "");
      expect(await registry.getStreamMetadata(streamIdOf(creator.address, "/a"))).to.equal("");
    });

    it("rejects an existing id with StreamAlreadyExists and keeps the stream as it was", async () => {
      const { registry, id, alice, creator } = await loadFixture(streamFixture);
      await registry.grantPermission(id, alice.address, Permission.Publish);
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(registry.createStream(PATH, "other"))
          .to.be.revertedWithCustomError(registry, "StreamAlreadyExists")
          .withArgs(id);
      });
    });

    const invalidPaths: Record<string, string> = {
      empty: "",
      "a lone slash": "/",
      "two slashes": "//",
      "an empty middle segment": "/a//b",
      "a trailing slash": "/a/",
      "no leading slash": "a/b",
      "a space": "/a b",
      "a colon": "/a:b",
      "a non-ASCII letter": "/caf\u00e9",
      "an emoji": "/\u{1f600}",
      "a percent sign": "/a%20b",
      "a backslash": "/a\\b",
      "a NUL byte": "/a\u0000",
      "256 bytes": "/" + "a".repeat(255),
      "256 bytes of segments": "/" + "abcdefg/".repeat(31) + "abcdefg",
    };
    for (const [what, path] of Object.entries(invalidPaths)) {
      it(`rejects a path with ${what} (InvalidStreamPath) and creates nothing`, async () => {
        const { registry, creator } = await loadFixture(deployRegistryFixture);
        const id = streamIdOf(creator.address, path);
        await expectNoChange(registry, [id], await holders(creator), async () => {
          await expect(registry.createStream(path, METADATA))
            .to.be.revertedWithCustomError(registry, "InvalidStreamPath")
            .withArgs(path);
        });
      });
    }

    for (const path of ["/a", "/A-Z_a-z.0-9", "/a/b/c", "/.", "/..", "/-/_", "/" + "a".repeat(254), "/" + "ab/".repeat(84) + "ab"]) {
      const name = path.length > 20 ? `of ${Buffer.byteLength(path)} bytes in ${path.split("/").length - 1} segments` : JSON.stringify(path);
      it(`accepts the path ${name}`, async () => {
        const { registry, creator } = await loadFixture(deployRegistryFixture);
        const id = streamIdOf(creator.address, path);
        await expect(registry.createStream(path, "")).to.emit(registry, "StreamCreated").withArgs(streamKeyOf(id), id, "");
        expect(await registry.exists(id)).to.equal(true);
      });
    }
  });

  describe("updateStreamMetadata", () => {
    it("replaces the metadata for an Edit holder who is not the creator", async () => {
      const { registry, id, key, alice } = await loadFixture(streamFixture);
      await registry.grantPermission(id, alice.address, Permission.Edit);
      expect(await eventsOf(registry, registry.connect(alice).updateStreamMetadata(id, "new"))).to.deep.equal([
        ["StreamMetadataUpdated", key, "new"],
      ]);
      expect(await registry.getStreamMetadata(id)).to.equal("new");
    });

    it("rejects a caller without Edit, even one holding the four others, and changes nothing", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      await registry.setPermissions(id, [alice.address], [[0, FOREVER, FOREVER, FOREVER, FOREVER]]);
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(registry.connect(alice).updateStreamMetadata(id, "hijacked"))
          .to.be.revertedWithCustomError(registry, "Unauthorized")
          .withArgs(id, alice.address, Permission.Edit);
      });
    });

    it("rejects a missing stream with StreamNotFound", async () => {
      const { registry, creator } = await loadFixture(deployRegistryFixture);
      const id = streamIdOf(creator.address, "/missing");
      await expect(registry.updateStreamMetadata(id, "x")).to.be.revertedWithCustomError(registry, "StreamNotFound").withArgs(id);
    });
  });

  describe("deleteStream", () => {
    it("deletes the stream for a Delete holder who is not the creator, and every view then answers as for a missing stream", async () => {
      const { registry, id, key, creator, alice } = await loadFixture(streamFixture);
      await registry.grantPermissions(id, [alice.address, PUBLIC], [expiriesOf(FOREVER, Permission.Delete), expiriesOf(FOREVER, Permission.Subscribe)]);
      expect(await eventsOf(registry, registry.connect(alice).deleteStream(id))).to.deep.equal([["StreamDeleted", key]]);
      expect(await registry.exists(id)).to.equal(false);
      await expect(registry.getStreamMetadata(id)).to.be.revertedWithCustomError(registry, "StreamNotFound").withArgs(id);
      await expect(registry.getStreamCreationBlock(id)).to.be.revertedWithCustomError(registry, "StreamNotFound").withArgs(id);
      for (const holder of [creator.address, alice.address, PUBLIC]) {
        expect(await expiriesOfUser(registry, id, holder)).to.deep.equal(NONE);
        for (const p of PERMISSIONS) {
          expect(await registry.hasPermission(id, holder, p)).to.equal(false);
          expect(await registry.hasDirectPermission(id, holder, p)).to.equal(false);
        }
      }
      for (const p of PERMISSIONS) expect(await registry.hasPublicPermission(id, p)).to.equal(false);
    });

    it("rejects a caller without Delete, even one holding the four others, and changes nothing", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      await registry.setPermissions(id, [alice.address], [[FOREVER, 0, FOREVER, FOREVER, FOREVER]]);
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(registry.connect(alice).deleteStream(id))
          .to.be.revertedWithCustomError(registry, "Unauthorized")
          .withArgs(id, alice.address, Permission.Delete);
      });
    });

    it("rejects a missing stream and a second deletion with StreamNotFound", async () => {
      const { registry, id } = await loadFixture(streamFixture);
      await registry.deleteStream(id);
      await expect(registry.deleteStream(id)).to.be.revertedWithCustomError(registry, "StreamNotFound").withArgs(id);
    });

    it("forgets everything for good: a stream created again has only its creator, new metadata and a new creation block", async () => {
      const { registry, id, key, creator, alice } = await loadFixture(streamFixture);
      await registry.grantPermissions(id, [alice.address, PUBLIC], [ALL_FOREVER, expiriesOf(FOREVER, Permission.Publish)]);
      const firstBlock = await registry.getStreamCreationBlock(id);
      await registry.deleteStream(id);
      await mine(3);
      const tx = registry.createStream(PATH, "");
      expect(await eventsOf(registry, tx)).to.deep.equal([["StreamCreated", key, id, ""], updated(key, creator.address, ALL_FOREVER)]);
      const receipt = await (await tx).wait();
      expect(await registry.getStreamCreationBlock(id)).to.equal(receipt!.blockNumber).and.to.be.greaterThan(firstBlock);
      expect(await registry.getStreamMetadata(id)).to.equal("");
      expect(await expiriesOfUser(registry, id, alice.address)).to.deep.equal(NONE);
      expect(await expiriesOfUser(registry, id, PUBLIC)).to.deep.equal(NONE);
      expect(await registry.hasPermission(id, alice.address, Permission.Publish)).to.equal(false);
      await expect(registry.connect(alice).grantPermission(id, alice.address, Permission.Edit))
        .to.be.revertedWithCustomError(registry, "Unauthorized")
        .withArgs(id, alice.address, Permission.Grant);
    });
  });

  describe("views", () => {
    it("answer 'no permission' on a stream that never existed, and the stream-level views revert StreamNotFound", async () => {
      const { registry, creator } = await loadFixture(deployRegistryFixture);
      const id = streamIdOf(creator.address, "/never");
      expect(await registry.exists(id)).to.equal(false);
      expect(await expiriesOfUser(registry, id, creator.address)).to.deep.equal(NONE);
      for (const p of PERMISSIONS) {
        expect(await registry.hasPermission(id, creator.address, p)).to.equal(false);
        expect(await registry.hasDirectPermission(id, creator.address, p)).to.equal(false);
        expect(await registry.hasPublicPermission(id, p)).to.equal(false);
      }
      await expect(registry.getStreamMetadata(id)).to.be.revertedWithCustomError(registry, "StreamNotFound").withArgs(id);
      await expect(registry.getStreamCreationBlock(id)).to.be.revertedWithCustomError(registry, "StreamNotFound").withArgs(id);
    });

    it("treat ids as exact bytes: the checksummed form of an existing id is a different, missing stream", async () => {
      const { registry, id, creator } = await loadFixture(streamFixture);
      const checksummed = `${creator.address}${PATH}`;
      expect(checksummed).to.not.equal(id);
      expect(await registry.exists(checksummed)).to.equal(false);
      expect(await registry.hasPermission(checksummed, creator.address, Permission.Grant)).to.equal(false);
      await expect(registry.grantPermission(checksummed, creator.address, Permission.Publish))
        .to.be.revertedWithCustomError(registry, "StreamNotFound")
        .withArgs(checksummed);
    });

    it("count public permissions in hasPermission but not in hasDirectPermission", async () => {
      const { registry, id, alice } = await loadFixture(streamFixture);
      await registry.grantPermission(id, PUBLIC, Permission.Subscribe);
      expect(await registry.hasPublicPermission(id, Permission.Subscribe)).to.equal(true);
      expect(await registry.hasPermission(id, alice.address, Permission.Subscribe)).to.equal(true);
      expect(await registry.hasDirectPermission(id, alice.address, Permission.Subscribe)).to.equal(false);
      expect(await registry.hasPermission(id, alice.address, Permission.Publish)).to.equal(false);
      expect(await registry.hasPublicPermission(id, Permission.Publish)).to.equal(false);
    });

    it("expose FOREVER and the longest path", async () => {
      const { registry } = await loadFixture(deployRegistryFixture);
      expect(await registry.FOREVER()).to.equal(FOREVER);
      expect(await registry.MAX_PATH_LENGTH()).to.equal(255);
    });

    it("revert on a permission index outside the enum", async () => {
      const { registry, id, creator } = await loadFixture(streamFixture);
      await expect(registry.hasPermission(id, creator.address, 5)).to.be.revertedWithoutReason();
    });
  });

  describe("grantPermission", () => {
    it("grants one permission forever, for a Grant holder who is not the creator, and emits the holder's packed state", async () => {
      const { registry, id, key, alice, bob } = await loadFixture(streamFixture);
      await registry.grantPermission(id, alice.address, Permission.Grant);
      await registry.connect(alice).grantPermission(id, bob.address, Permission.Subscribe);
      expect(await eventsOf(registry, registry.connect(alice).grantPermission(id, bob.address, Permission.Publish))).to.deep.equal([
        updated(key, bob.address, expiriesOf(FOREVER, Permission.Publish, Permission.Subscribe)),
      ]);
      expect(await registry.hasDirectPermission(id, bob.address, Permission.Publish)).to.equal(true);
    });

    it("grants Publish and Subscribe to the public", async () => {
      const { registry, id, key } = await loadFixture(streamFixture);
      await expect(registry.grantPermission(id, PUBLIC, Permission.Publish))
        .to.emit(registry, "PermissionsUpdated")
        .withArgs(key, PUBLIC, packExpiries(expiriesOf(FOREVER, Permission.Publish)));
      await registry.grantPermission(id, PUBLIC, Permission.Subscribe);
      expect(await expiriesOfUser(registry, id, PUBLIC)).to.deep.equal(expiriesOf(FOREVER, Permission.Publish, Permission.Subscribe));
    });

    it("rejects a caller without Grant (holding the four others, or nothing) and changes nothing", async () => {
      const { registry, id, creator, alice, bob } = await loadFixture(streamFixture);
      await registry.setPermissions(id, [alice.address], [[FOREVER, FOREVER, FOREVER, FOREVER, 0]]);
      for (const caller of [alice, bob]) {
        await expectNoChange(registry, [id], await holders(creator, alice, bob), async () => {
          await expect(registry.connect(caller).grantPermission(id, caller.address, Permission.Grant))
            .to.be.revertedWithCustomError(registry, "Unauthorized")
            .withArgs(id, caller.address, Permission.Grant);
        });
      }
    });

    for (const p of NOT_PUBLISHABLE) {
      it(`rejects public ${Permission[p]} with PublicPermissionNotAllowed`, async () => {
        const { registry, id, creator } = await loadFixture(streamFixture);
        await expectNoChange(registry, [id], await holders(creator), async () => {
          await expect(registry.grantPermission(id, PUBLIC, p)).to.be.revertedWithCustomError(registry, "PublicPermissionNotAllowed").withArgs(p);
        });
      });
    }

    it("rejects a missing stream with StreamNotFound and a permission outside the enum without a reason", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      const missing = streamIdOf(creator.address, "/missing");
      await expect(registry.grantPermission(missing, alice.address, Permission.Publish))
        .to.be.revertedWithCustomError(registry, "StreamNotFound")
        .withArgs(missing);
      await expect(registry.grantPermission(id, alice.address, 5)).to.be.revertedWithoutReason();
    });

    it("cannot grant once even FOREVER has passed: nobody holds Grant any more", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      // Time never goes back: restore it so that later test files do not start at FOREVER.
      const beforeTheEndOfTime = await takeSnapshot();
      try {
        await time.setNextBlockTimestamp(FOREVER);
        // The creator's own Grant ends at FOREVER too, so by then nobody can grant anything.
        await expect(registry.grantPermission(id, alice.address, Permission.Publish))
          .to.be.revertedWithCustomError(registry, "Unauthorized")
          .withArgs(id, creator.address, Permission.Grant);
      } finally {
        await beforeTheEndOfTime.restore();
      }
    });
  });

  describe("revokePermission and revokeAllPermissionsForUser", () => {
    it("revoke one permission, or all five, for a Grant holder, emitting the holder's state after", async () => {
      const { registry, id, key, alice, bob } = await loadFixture(streamFixture);
      await registry.grantPermissions(id, [alice.address, bob.address], [expiriesOf(FOREVER, Permission.Grant), ALL_FOREVER]);
      expect(await eventsOf(registry, registry.connect(alice).revokePermission(id, bob.address, Permission.Publish))).to.deep.equal([
        updated(key, bob.address, [FOREVER, FOREVER, 0, FOREVER, FOREVER]),
      ]);
      expect(await eventsOf(registry, registry.connect(alice).revokeAllPermissionsForUser(id, bob.address))).to.deep.equal([
        updated(key, bob.address, NONE),
      ]);
      expect(await expiriesOfUser(registry, id, bob.address)).to.deep.equal(NONE);
    });

    it("let a Grant holder revoke the creator, who then can no longer grant", async () => {
      const { registry, id, key, creator, alice } = await loadFixture(streamFixture);
      await registry.grantPermission(id, alice.address, Permission.Grant);
      await expect(registry.connect(alice).revokeAllPermissionsForUser(id, creator.address))
        .to.emit(registry, "PermissionsUpdated")
        .withArgs(key, creator.address, 0n);
      await expect(registry.grantPermission(id, creator.address, Permission.Grant))
        .to.be.revertedWithCustomError(registry, "Unauthorized")
        .withArgs(id, creator.address, Permission.Grant);
    });

    it("let anyone renounce their own permissions without Grant", async () => {
      const { registry, id, key, alice } = await loadFixture(streamFixture);
      await registry.grantPermissions(id, [alice.address], [expiriesOf(FOREVER, Permission.Publish, Permission.Subscribe, Permission.Edit)]);
      await expect(registry.connect(alice).revokePermission(id, alice.address, Permission.Publish))
        .to.emit(registry, "PermissionsUpdated")
        .withArgs(key, alice.address, packExpiries(expiriesOf(FOREVER, Permission.Edit, Permission.Subscribe)));
      await expect(registry.connect(alice).revokeAllPermissionsForUser(id, alice.address))
        .to.emit(registry, "PermissionsUpdated")
        .withArgs(key, alice.address, 0n);
      expect(await expiriesOfUser(registry, id, alice.address)).to.deep.equal(NONE);
    });

    it("reject revoking someone else's (or the public's) permission without Grant and change nothing", async () => {
      const { registry, id, creator, alice, bob } = await loadFixture(streamFixture);
      await registry.grantPermissions(
        id,
        [alice.address, bob.address, PUBLIC],
        [[FOREVER, FOREVER, FOREVER, FOREVER, 0], ALL_FOREVER, expiriesOf(FOREVER, Permission.Subscribe)],
      );
      for (const target of [bob.address, creator.address, PUBLIC]) {
        await expectNoChange(registry, [id], await holders(creator, alice, bob), async () => {
          await expect(registry.connect(alice).revokePermission(id, target, Permission.Subscribe))
            .to.be.revertedWithCustomError(registry, "Unauthorized")
            .withArgs(id, alice.address, Permission.Grant);
          await expect(registry.connect(alice).revokeAllPermissionsForUser(id, target))
            .to.be.revertedWithCustomError(registry, "Unauthorized")
            .withArgs(id, alice.address, Permission.Grant);
        });
      }
    });

    it("reject a missing stream with StreamNotFound, even for a self-revocation", async () => {
      const { registry, creator } = await loadFixture(deployRegistryFixture);
      const id = streamIdOf(creator.address, "/missing");
      await expect(registry.revokePermission(id, creator.address, Permission.Edit)).to.be.revertedWithCustomError(registry, "StreamNotFound").withArgs(id);
      await expect(registry.revokeAllPermissionsForUser(id, creator.address)).to.be.revertedWithCustomError(registry, "StreamNotFound").withArgs(id);
    });

    it("reject a permission outside the enum without a reason", async () => {
      const { registry, id, creator } = await loadFixture(streamFixture);
      await expect(registry.revokePermission(id, creator.address, 5)).to.be.revertedWithoutReason();
    });
  });

  describe("grantPermissions", () => {
    it("sets each non-zero expiry exactly (shortening one too), leaves zeros untouched, and applies later entries on top", async () => {
      const { registry, id, key, alice, bob } = await loadFixture(streamFixture);
      const soon = (await time.latest()) + 1000;
      await registry.grantPermissions(id, [alice.address], [[FOREVER, 0, FOREVER, FOREVER, 0]]);
      const tx = registry.grantPermissions(
        id,
        [alice.address, bob.address, alice.address, PUBLIC],
        [[0, 0, soon, 0, 0], [0, soon, 0, 0, 0], [0, FOREVER, 0, 0, 0], expiriesOf(soon, Permission.Subscribe)],
      );
      expect(await eventsOf(registry, tx)).to.deep.equal([
        updated(key, alice.address, [FOREVER, 0, soon, FOREVER, 0]),
        updated(key, bob.address, [0, soon, 0, 0, 0]),
        updated(key, alice.address, [FOREVER, FOREVER, soon, FOREVER, 0]),
        updated(key, PUBLIC, expiriesOf(soon, Permission.Subscribe)),
      ]);
      expect(await expiriesOfUser(registry, id, alice.address)).to.deep.equal([FOREVER, FOREVER, soon, FOREVER, 0]);
    });

    it("ignores an all-zero entry: no write, no event", async () => {
      const { registry, id, alice } = await loadFixture(streamFixture);
      await registry.grantPermission(id, alice.address, Permission.Publish);
      expect(await eventsOf(registry, registry.grantPermissions(id, [alice.address], [NONE]))).to.deep.equal([]);
      expect(await expiriesOfUser(registry, id, alice.address)).to.deep.equal(expiriesOf(FOREVER, Permission.Publish));
    });

    it("rejects mismatched lengths, a missing stream, and a caller without Grant, changing nothing", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      const missing = streamIdOf(creator.address, "/missing");
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(registry.grantPermissions(id, [alice.address], [])).to.be.revertedWithCustomError(registry, "LengthMismatch");
        await expect(registry.grantPermissions(id, [], [ALL_FOREVER])).to.be.revertedWithCustomError(registry, "LengthMismatch");
        await expect(registry.grantPermissions(missing, [alice.address], [ALL_FOREVER]))
          .to.be.revertedWithCustomError(registry, "StreamNotFound")
          .withArgs(missing);
        await expect(registry.connect(alice).grantPermissions(id, [alice.address], [ALL_FOREVER]))
          .to.be.revertedWithCustomError(registry, "Unauthorized")
          .withArgs(id, alice.address, Permission.Grant);
      });
    });

    it("checks lengths before the stream and the stream before the caller", async () => {
      const { registry, creator, alice } = await loadFixture(deployRegistryFixture);
      const missing = streamIdOf(creator.address, "/missing");
      await expect(registry.connect(alice).grantPermissions(missing, [alice.address], [])).to.be.revertedWithCustomError(registry, "LengthMismatch");
      await expect(registry.connect(alice).grantPermissions(missing, [], []))
        .to.be.revertedWithCustomError(registry, "StreamNotFound")
        .withArgs(missing);
    });

    it("rejects public Edit, Delete and Grant, naming the lowest one, and reverts the whole batch", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      for (const p of NOT_PUBLISHABLE) {
        await expectNoChange(registry, [id], await holders(creator, alice), async () => {
          await expect(registry.grantPermissions(id, [alice.address, PUBLIC], [ALL_FOREVER, expiriesOf(FOREVER, Permission.Publish, p)]))
            .to.be.revertedWithCustomError(registry, "PublicPermissionNotAllowed")
            .withArgs(p);
        });
      }
      await expect(registry.grantPermissions(id, [PUBLIC], [[0, 0, FOREVER, FOREVER, FOREVER]]))
        .to.be.revertedWithCustomError(registry, "PublicPermissionNotAllowed")
        .withArgs(Permission.Grant);
      await expect(registry.grantPermissions(id, [PUBLIC], [ALL_FOREVER]))
        .to.be.revertedWithCustomError(registry, "PublicPermissionNotAllowed")
        .withArgs(Permission.Edit);
    });

    it("rejects an expiry in the past or equal to the block's time (ExpiryInPast, the entry's earliest), checked after the public rule", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      const now = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(now);
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(registry.grantPermissions(id, [alice.address], [[FOREVER, now + 1, now, FOREVER, 0]]))
          .to.be.revertedWithCustomError(registry, "ExpiryInPast")
          .withArgs(now);
      });
      await expect(registry.grantPermissions(id, [alice.address], [[0, now - 5, now - 7, 1, 0]]))
        .to.be.revertedWithCustomError(registry, "ExpiryInPast")
        .withArgs(1);
      await expect(registry.grantPermissions(id, [PUBLIC], [[1, 0, 0, 0, 0]]))
        .to.be.revertedWithCustomError(registry, "PublicPermissionNotAllowed")
        .withArgs(Permission.Edit);
      const next = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(next);
      await expect(registry.grantPermissions(id, [alice.address], [expiriesOf(next + 1, Permission.Publish)])).to.emit(registry, "PermissionsUpdated");
    });

    it("rejects an expiry that does not fit in uint40 (as the ABI decoder would) and accepts the largest that does", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      const to = await registry.getAddress();
      const send = (expiry: bigint) =>
        creator.sendTransaction({ to, data: withWideExpiries(registry.interface, "grantPermissions", [id, [alice.address], [[0, 0, expiry, 0, 0]]]) });
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(send(2n ** 40n)).to.be.revertedWithoutReason();
        await expect(send(2n ** 256n - 1n)).to.be.revertedWithoutReason();
      });
      await send(BigInt(FOREVER));
      expect(await expiriesOfUser(registry, id, alice.address)).to.deep.equal(expiriesOf(FOREVER, Permission.Publish));
    });
  });

  describe("revokePermissions", () => {
    it("clears permission p where bit p of the mask is set, entry by entry", async () => {
      const { registry, id, key, alice, bob } = await loadFixture(streamFixture);
      await registry.grantPermissions(id, [alice.address, bob.address, PUBLIC], [ALL_FOREVER, ALL_FOREVER, expiriesOf(FOREVER, Permission.Publish, Permission.Subscribe)]);
      const tx = registry.revokePermissions(
        id,
        [alice.address, bob.address, alice.address, PUBLIC],
        [(1 << Permission.Publish) | (1 << Permission.Grant), 0x1f, 1 << Permission.Edit, 0],
      );
      expect(await eventsOf(registry, tx)).to.deep.equal([
        updated(key, alice.address, [FOREVER, FOREVER, 0, FOREVER, 0]),
        updated(key, bob.address, NONE),
        updated(key, alice.address, [0, FOREVER, 0, FOREVER, 0]),
        // The public's entry (mask 0) changes nothing: no event.
      ]);
    });

    it("lets a caller without Grant renounce its own permissions, in several entries", async () => {
      const { registry, id, key, alice } = await loadFixture(streamFixture);
      await registry.grantPermissions(id, [alice.address], [[FOREVER, FOREVER, FOREVER, FOREVER, 0]]);
      expect(await eventsOf(registry, registry.connect(alice).revokePermissions(id, [alice.address, alice.address], [0b00100, 0b00001]))).to.deep.equal([
        updated(key, alice.address, [FOREVER, FOREVER, 0, FOREVER, 0]),
        updated(key, alice.address, [0, FOREVER, 0, FOREVER, 0]),
      ]);
    });

    it("keeps the Grant it read at the start: revoking one's own Grant in entry 0 does not stop entry 1", async () => {
      const { registry, id, key, creator, alice } = await loadFixture(streamFixture);
      await registry.grantPermission(id, alice.address, Permission.Publish);
      expect(await eventsOf(registry, registry.revokePermissions(id, [creator.address, alice.address], [0x1f, 0x1f]))).to.deep.equal([
        updated(key, creator.address, NONE),
        updated(key, alice.address, NONE),
      ]);
    });

    it("rejects a caller without Grant revoking someone else, even after renouncing its own in an earlier entry, and changes nothing", async () => {
      const { registry, id, creator, alice, bob } = await loadFixture(streamFixture);
      await registry.grantPermissions(id, [alice.address, bob.address, PUBLIC], [[FOREVER, FOREVER, FOREVER, FOREVER, 0], ALL_FOREVER, expiriesOf(FOREVER, Permission.Subscribe)]);
      for (const target of [bob.address, creator.address, PUBLIC]) {
        await expectNoChange(registry, [id], await holders(creator, alice, bob), async () => {
          await expect(registry.connect(alice).revokePermissions(id, [alice.address, target], [0x1f, 0x08]))
            .to.be.revertedWithCustomError(registry, "Unauthorized")
            .withArgs(id, alice.address, Permission.Grant);
        });
      }
    });

    it("rejects a mask above 0x1f (InvalidPermissionMask), before the caller check, and changes nothing", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      for (const mask of [0x20, 0x3f, 0xff]) {
        await expectNoChange(registry, [id], await holders(creator, alice), async () => {
          await expect(registry.revokePermissions(id, [alice.address, creator.address], [0x01, mask]))
            .to.be.revertedWithCustomError(registry, "InvalidPermissionMask")
            .withArgs(mask);
          await expect(registry.connect(alice).revokePermissions(id, [creator.address], [mask]))
            .to.be.revertedWithCustomError(registry, "InvalidPermissionMask")
            .withArgs(mask);
        });
      }
    });

    it("rejects mismatched lengths and a missing stream", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      const missing = streamIdOf(creator.address, "/missing");
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(registry.revokePermissions(id, [alice.address], [])).to.be.revertedWithCustomError(registry, "LengthMismatch");
        await expect(registry.revokePermissions(id, [], [1])).to.be.revertedWithCustomError(registry, "LengthMismatch");
        await expect(registry.revokePermissions(missing, [creator.address], [1]))
          .to.be.revertedWithCustomError(registry, "StreamNotFound")
          .withArgs(missing);
      });
    });
  });

  describe("setPermissions", () => {
    it("overwrites all five for each holder (0: not held), later entries on top of earlier ones", async () => {
      const { registry, id, key, alice, bob } = await loadFixture(streamFixture);
      const soon = (await time.latest()) + 500;
      await registry.grantPermissions(id, [alice.address], [ALL_FOREVER]);
      const tx = registry.setPermissions(
        id,
        [alice.address, bob.address, PUBLIC, bob.address],
        [[0, 0, soon, FOREVER, 0], ALL_FOREVER, expiriesOf(soon, Permission.Publish), [0, 0, 0, FOREVER, 0]],
      );
      expect(await eventsOf(registry, tx)).to.deep.equal([
        updated(key, alice.address, [0, 0, soon, FOREVER, 0]),
        updated(key, bob.address, ALL_FOREVER),
        updated(key, PUBLIC, expiriesOf(soon, Permission.Publish)),
        updated(key, bob.address, [0, 0, 0, FOREVER, 0]),
      ]);
      expect(await expiriesOfUser(registry, id, alice.address)).to.deep.equal([0, 0, soon, FOREVER, 0]);
      expect(await expiriesOfUser(registry, id, bob.address)).to.deep.equal([0, 0, 0, FOREVER, 0]);
    });

    it("decides authorisation at the start: removing the caller's own Grant in entry 0 does not stop entry 1", async () => {
      const { registry, id, key, creator, alice } = await loadFixture(streamFixture);
      expect(await eventsOf(registry, registry.setPermissions(id, [creator.address, alice.address], [NONE, ALL_FOREVER]))).to.deep.equal([
        updated(key, creator.address, NONE),
        updated(key, alice.address, ALL_FOREVER),
      ]);
    });

    it("rejects mismatched lengths, a missing stream, a caller without Grant, public Edit/Delete/Grant and past expiries, changing nothing", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      const missing = streamIdOf(creator.address, "/missing");
      const now = (await time.latest()) + 10;
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(registry.setPermissions(id, [alice.address, PUBLIC], [ALL_FOREVER])).to.be.revertedWithCustomError(registry, "LengthMismatch");
        await expect(registry.setPermissions(id, [], [NONE])).to.be.revertedWithCustomError(registry, "LengthMismatch");
        await expect(registry.setPermissions(missing, [alice.address], [ALL_FOREVER]))
          .to.be.revertedWithCustomError(registry, "StreamNotFound")
          .withArgs(missing);
        await expect(registry.connect(alice).setPermissions(id, [alice.address], [ALL_FOREVER]))
          .to.be.revertedWithCustomError(registry, "Unauthorized")
          .withArgs(id, alice.address, Permission.Grant);
        for (const p of NOT_PUBLISHABLE) {
          await expect(registry.setPermissions(id, [alice.address, PUBLIC], [ALL_FOREVER, expiriesOf(FOREVER, p, Permission.Subscribe)]))
            .to.be.revertedWithCustomError(registry, "PublicPermissionNotAllowed")
            .withArgs(p);
        }
        await time.setNextBlockTimestamp(now);
        await expect(registry.setPermissions(id, [alice.address, alice.address], [ALL_FOREVER, [0, 0, now, now + 1, 0]]))
          .to.be.revertedWithCustomError(registry, "ExpiryInPast")
          .withArgs(now);
      });
    });

    it("rejects an expiry that does not fit in uint40", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      const data = withWideExpiries(registry.interface, "setPermissions", [id, [alice.address], [[2n ** 40n, 0, 0, 0, 0]]]);
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(creator.sendTransaction({ to: await registry.getAddress(), data })).to.be.revertedWithoutReason();
      });
    });
  });

  describe("setPermissionsMultipleStreams", () => {
    /** Two streams of the creator and one of alice's. */
    async function threeStreamsFixture() {
      const accounts = await loadFixture(streamFixture);
      const { registry, creator, alice } = accounts;
      await registry.createStream("/second", "");
      await registry.connect(alice).createStream("/hers", "");
      return { ...accounts, second: streamIdOf(creator.address, "/second"), hers: streamIdOf(alice.address, "/hers") };
    }

    it("sets permissions on several streams in one transaction, stream by stream", async () => {
      const { registry, id, key, second, alice, bob } = await threeStreamsFixture();
      const tx = registry.setPermissionsMultipleStreams(
        [id, second],
        [[alice.address, PUBLIC], [bob.address]],
        [[ALL_FOREVER, expiriesOf(FOREVER, Permission.Subscribe)], [expiriesOf(FOREVER, Permission.Publish)]],
      );
      expect(await eventsOf(registry, tx)).to.deep.equal([
        updated(key, alice.address, ALL_FOREVER),
        updated(key, PUBLIC, expiriesOf(FOREVER, Permission.Subscribe)),
        updated(streamKeyOf(second), bob.address, expiriesOf(FOREVER, Permission.Publish)),
      ]);
    });

    it("reverts as a whole when one stream is not the caller's to grant on, whichever comes first", async () => {
      const { registry, id, second, hers, creator, alice, bob } = await threeStreamsFixture();
      const all = [id, second, hers];
      for (const streams of [[id, hers], [hers, id], [id, second, hers]]) {
        await expectNoChange(registry, all, await holders(creator, alice, bob), async () => {
          await expect(
            registry.setPermissionsMultipleStreams(
              streams,
              streams.map(() => [bob.address]),
              streams.map(() => [ALL_FOREVER]),
            ),
          )
            .to.be.revertedWithCustomError(registry, "Unauthorized")
            .withArgs(hers, creator.address, Permission.Grant);
        });
      }
    });

    it("checks each stream's Grant when its turn comes: losing Grant on stream 0 stops a later entry for the same stream", async () => {
      const { registry, id, creator, alice } = await threeStreamsFixture();
      await expectNoChange(registry, [id], await holders(creator, alice), async () => {
        await expect(registry.setPermissionsMultipleStreams([id, id], [[creator.address], [alice.address]], [[NONE], [ALL_FOREVER]]))
          .to.be.revertedWithCustomError(registry, "Unauthorized")
          .withArgs(id, creator.address, Permission.Grant);
      });
    });

    it("rejects mismatched outer and inner lengths, a missing stream, public Edit/Delete/Grant and past expiries, changing nothing", async () => {
      const { registry, id, second, creator, alice } = await threeStreamsFixture();
      const missing = streamIdOf(creator.address, "/missing");
      const now = (await time.latest()) + 10;
      await expectNoChange(registry, [id, second], await holders(creator, alice), async () => {
        await expect(registry.setPermissionsMultipleStreams([id, second], [[alice.address]], [[ALL_FOREVER], [ALL_FOREVER]])).to.be.revertedWithCustomError(registry, "LengthMismatch");
        await expect(registry.setPermissionsMultipleStreams([id], [[alice.address]], [[ALL_FOREVER], [ALL_FOREVER]])).to.be.revertedWithCustomError(registry, "LengthMismatch");
        await expect(registry.setPermissionsMultipleStreams([id, second], [[alice.address], [alice.address]], [[ALL_FOREVER], []])).to.be.revertedWithCustomError(registry, "LengthMismatch");
        await expect(registry.setPermissionsMultipleStreams([id, missing], [[alice.address], [alice.address]], [[ALL_FOREVER], [ALL_FOREVER]]))
          .to.be.revertedWithCustomError(registry, "StreamNotFound")
          .withArgs(missing);
        for (const p of NOT_PUBLISHABLE) {
          await expect(registry.setPermissionsMultipleStreams([id, second], [[alice.address], [PUBLIC]], [[ALL_FOREVER], [expiriesOf(FOREVER, p)]]))
            .to.be.revertedWithCustomError(registry, "PublicPermissionNotAllowed")
            .withArgs(p);
        }
        await time.setNextBlockTimestamp(now);
        await expect(registry.setPermissionsMultipleStreams([id, second], [[alice.address], [alice.address]], [[ALL_FOREVER], [expiriesOf(now, Permission.Edit)]]))
          .to.be.revertedWithCustomError(registry, "ExpiryInPast")
          .withArgs(now);
      });
    });

    it("rejects an expiry that does not fit in uint40", async () => {
      const { registry, id, second, creator, alice } = await threeStreamsFixture();
      const data = withWideExpiries(registry.interface, "setPermissionsMultipleStreams", [[id, second], [[alice.address], [alice.address]], [[NONE], [[0, 0, 0, 0, 2n ** 40n]]]]);
      await expectNoChange(registry, [id, second], await holders(creator, alice), async () => {
        await expect(creator.sendTransaction({ to: await registry.getAddress(), data })).to.be.revertedWithoutReason();
      });
    });
  });

  describe("expiry", () => {
    it("holds a permission until the second before its expiry, directly and publicly", async () => {
      const { registry, id, alice, bob } = await loadFixture(streamFixture);
      const expiry = (await time.latest()) + 100;
      await registry.setPermissions(id, [alice.address, PUBLIC], [expiriesOf(expiry, Permission.Publish), expiriesOf(expiry, Permission.Subscribe)]);
      await time.increaseTo(expiry - 1);
      expect(await registry.hasPermission(id, alice.address, Permission.Publish)).to.equal(true);
      expect(await registry.hasDirectPermission(id, alice.address, Permission.Publish)).to.equal(true);
      expect(await registry.hasPublicPermission(id, Permission.Subscribe)).to.equal(true);
      expect(await registry.hasPermission(id, bob.address, Permission.Subscribe)).to.equal(true);
      await time.increaseTo(expiry);
      expect(await registry.hasPermission(id, alice.address, Permission.Publish)).to.equal(false);
      expect(await registry.hasDirectPermission(id, alice.address, Permission.Publish)).to.equal(false);
      expect(await registry.hasPublicPermission(id, Permission.Subscribe)).to.equal(false);
      expect(await registry.hasPermission(id, bob.address, Permission.Subscribe)).to.equal(false);
      // The stored expiry is still reported: callers compare it with the time themselves.
      expect(await expiriesOfUser(registry, id, alice.address)).to.deep.equal(expiriesOf(expiry, Permission.Publish));
    });

    it("lets an expiring Grant act at expiry-1 but not at expiry", async () => {
      const { registry, id, alice, bob } = await loadFixture(streamFixture);
      const expiry = (await time.latest()) + 100;
      await registry.grantPermissions(id, [alice.address], [expiriesOf(expiry, Permission.Grant, Permission.Edit)]);
      await time.setNextBlockTimestamp(expiry - 1);
      await registry.connect(alice).grantPermission(id, bob.address, Permission.Subscribe);
      await time.setNextBlockTimestamp(expiry);
      await expect(registry.connect(alice).grantPermission(id, bob.address, Permission.Publish))
        .to.be.revertedWithCustomError(registry, "Unauthorized")
        .withArgs(id, alice.address, Permission.Grant);
      await expect(registry.connect(alice).updateStreamMetadata(id, "late"))
        .to.be.revertedWithCustomError(registry, "Unauthorized")
        .withArgs(id, alice.address, Permission.Edit);
      expect(await expiriesOfUser(registry, id, bob.address)).to.deep.equal(expiriesOf(FOREVER, Permission.Subscribe));
    });
  });

  describe("writes that change nothing", () => {
    /** The opcodes a mined transaction executed, from Hardhat's debug_traceTransaction. */
    async function opcodesOf(tx: Promise<ContractTransactionResponse>): Promise<Set<string>> {
      const { hash } = await (await tx).wait().then((receipt) => receipt!);
      const trace = (await network.provider.send("debug_traceTransaction", [hash, { disableStorage: true, disableMemory: true, disableStack: true }])) as {
        failed: boolean;
        structLogs: { op: string }[];
      };
      expect(trace.failed).to.equal(false);
      return new Set(trace.structLogs.map((log) => log.op));
    }

    /** Sends `write`, expects it to succeed without a storage write or a log, and every view unchanged. */
    async function expectNothingWritten(registry: StreamRegistry, id: string, accounts: string[], write: () => Promise<ContractTransactionResponse>) {
      const before = await stateOf(registry, [id], accounts);
      const ops = await opcodesOf(write());
      expect([...ops].filter((op) => op === "SSTORE" || op.startsWith("LOG")), "storage writes and logs").to.deep.equal([]);
      expect(await stateOf(registry, [id], accounts)).to.deep.equal(before);
    }

    it("a revoke of what the holder does not hold (by anyone, on themselves) writes nothing and emits nothing", async () => {
      const { registry, id, creator, alice, carol } = await loadFixture(streamFixture);
      await registry.grantPermission(id, alice.address, Permission.Subscribe);
      const accounts = await holders(creator, alice, carol);
      const stranger = registry.connect(carol);
      await expectNothingWritten(registry, id, accounts, () => stranger.revokePermission(id, carol.address, Permission.Publish));
      await expectNothingWritten(registry, id, accounts, () => stranger.revokeAllPermissionsForUser(id, carol.address));
      await expectNothingWritten(registry, id, accounts, () => stranger.revokePermissions(id, [carol.address, carol.address], [0x1f, 0x01]));
      // A Grant holder revoking what another does not hold, or with an empty mask.
      await expectNothingWritten(registry, id, accounts, () => registry.revokePermission(id, alice.address, Permission.Publish));
      await expectNothingWritten(registry, id, accounts, () => registry.revokePermissions(id, [alice.address, PUBLIC], [0, 0x1f]));
    });

    it("a grant or set that leaves a holder's expiries as they are writes nothing and emits nothing", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      const soon = (await time.latest()) + 1000;
      await registry.grantPermissions(id, [alice.address, PUBLIC], [expiriesOf(soon, Permission.Publish), expiriesOf(FOREVER, Permission.Subscribe)]);
      const accounts = await holders(creator, alice);
      await expectNothingWritten(registry, id, accounts, () => registry.grantPermission(id, creator.address, Permission.Edit));
      await expectNothingWritten(registry, id, accounts, () => registry.grantPermission(id, PUBLIC, Permission.Subscribe));
      await expectNothingWritten(registry, id, accounts, () => registry.grantPermissions(id, [alice.address, creator.address], [expiriesOf(soon, Permission.Publish), ALL_FOREVER]));
      await expectNothingWritten(registry, id, accounts, () => registry.setPermissions(id, [alice.address], [expiriesOf(soon, Permission.Publish)]));
      await expectNothingWritten(registry, id, accounts, () => registry.setPermissionsMultipleStreams([id], [[PUBLIC]], [[expiriesOf(FOREVER, Permission.Subscribe)]]));
    });

    it("in a batch, only the entries that change something write and emit", async () => {
      const { registry, id, key, alice, bob } = await loadFixture(streamFixture);
      await registry.grantPermission(id, alice.address, Permission.Publish);
      expect(await eventsOf(registry, registry.revokePermissions(id, [bob.address, alice.address, alice.address], [0x1f, 1 << Permission.Publish, 1 << Permission.Publish]))).to.deep.equal([
        updated(key, alice.address, NONE),
      ]);
      expect(await eventsOf(registry, registry.setPermissions(id, [bob.address, alice.address, bob.address], [NONE, NONE, expiriesOf(FOREVER, Permission.Edit)]))).to.deep.equal([
        updated(key, bob.address, expiriesOf(FOREVER, Permission.Edit)),
      ]);
    });

    it("an expired permission is still stored: revoking it clears it and says so", async () => {
      const { registry, id, key, alice } = await loadFixture(streamFixture);
      const soon = (await time.latest()) + 100;
      await registry.grantPermissions(id, [alice.address], [expiriesOf(soon, Permission.Publish)]);
      await time.increaseTo(soon + 1);
      expect(await eventsOf(registry, registry.connect(alice).revokePermission(id, alice.address, Permission.Publish))).to.deep.equal([updated(key, alice.address, NONE)]);
    });
  });

  describe("PermissionsUpdated logs", () => {
    /**
     * Rebuilds every holder's expiries from the logs, as docs/contract.md describes: read the
     * stream's logs from its creation block, start after the last StreamCreated (a deletion and
     * re-creation may share that block), and keep each holder's last PermissionsUpdated.
     */
    async function rebuildFromLogs(registry: StreamRegistry, id: string): Promise<Map<string, bigint>> {
      const fromBlock = Number(await registry.getStreamCreationBlock(id));
      const logs = await ethers.provider.getLogs({ address: await registry.getAddress(), fromBlock, topics: [null, streamKeyOf(id)] });
      const events = logs.map((log) => registry.interface.parseLog(log)!);
      const start = events.map((e) => e.name).lastIndexOf("StreamCreated");
      const state = new Map<string, bigint>();
      for (const e of events.slice(start)) {
        if (e.name === "PermissionsUpdated") state.set(e.args.holder, e.args.expiries);
      }
      return state;
    }

    async function viewState(registry: StreamRegistry, id: string, accounts: string[]): Promise<Map<string, bigint>> {
      const state = new Map<string, bigint>();
      for (const account of accounts) {
        const packed = packExpiries(await expiriesOfUser(registry, id, account));
        if (packed !== 0n) state.set(account, packed);
      }
      return state;
    }

    function withoutEmpty(state: Map<string, bigint>): Map<string, bigint> {
      return new Map([...state].filter(([, packed]) => packed !== 0n));
    }

    it("rebuild the view state of every holder since getStreamCreationBlock", async () => {
      const { registry, id, creator, alice, bob, carol } = await loadFixture(streamFixture);
      const soon = (await time.latest()) + 1000;
      await registry.grantPermission(id, alice.address, Permission.Grant);
      await registry.connect(alice).grantPermissions(id, [bob.address, PUBLIC], [expiriesOf(soon, Permission.Publish), expiriesOf(FOREVER, Permission.Subscribe)]);
      await registry.deleteStream(id);
      await registry.createStream(PATH, "again");
      await registry.setPermissions(id, [carol.address, bob.address], [ALL_FOREVER, expiriesOf(soon, Permission.Edit)]);
      await registry.setPermissionsMultipleStreams([id], [[PUBLIC]], [[expiriesOf(FOREVER, Permission.Publish)]]);
      await registry.connect(carol).revokePermissions(id, [bob.address, carol.address], [0x1f, 0x04]);
      await registry.revokePermission(id, PUBLIC, Permission.Publish);
      const accounts = [PUBLIC, creator.address, alice.address, bob.address, carol.address];
      const rebuilt = withoutEmpty(await rebuildFromLogs(registry, id));
      expect(rebuilt).to.deep.equal(await viewState(registry, id, accounts));
      expect([...rebuilt.keys()]).to.have.members([creator.address, carol.address]);
    });

    it("rebuild correctly when the stream was deleted and created again in its creation block", async () => {
      const { registry, id, creator, alice } = await loadFixture(streamFixture);
      await network.provider.send("evm_setAutomine", [false]);
      try {
        const gasLimit = 1_000_000;
        await registry.grantPermission(id, alice.address, Permission.Publish, { gasLimit });
        await registry.deleteStream(id, { gasLimit });
        await registry.createStream(PATH, "", { gasLimit });
        await mine();
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      expect(await registry.exists(id)).to.equal(true);
      expect(withoutEmpty(await rebuildFromLogs(registry, id))).to.deep.equal(await viewState(registry, id, [PUBLIC, creator.address, alice.address]));
      expect(await expiriesOfUser(registry, id, alice.address)).to.deep.equal(NONE);
    });
  });
});
