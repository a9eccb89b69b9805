import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Signer } from "ethers";
import type { StreamRegistry } from "../../typechain-types";
import { type RegistryCall, SIGNABLE_FUNCTION_NAMES, signedChangeTypedData } from "../../sdk";
import {
  deployRegistryFixture,
  eventsOf,
  expectNoChange,
  expiriesOf,
  FOREVER,
  Permission,
  stateOf,
  streamIdOf,
} from "./fixtures";

const PATH = "/sensors/temperature";
const OTHER_PATH = "/sensors/humidity";
const PUBLIC = ethers.ZeroAddress as `0x${string}`;

interface SignedBy {
  signer: string;
  nonce: bigint;
  deadline: bigint;
  signature: string;
}

/**
 * Two streams of `creator`, Alice holding Publish on the first; `relayer` holds nothing and
 * submits every signed change; Bob holds nothing either and signs the changes that must be refused.
 */
async function signedFixture() {
  const accounts = await deployRegistryFixture();
  const { registry, creator, alice } = accounts;
  const id = streamIdOf(creator.address, PATH);
  const otherId = streamIdOf(creator.address, OTHER_PATH);
  await registry.createStream(PATH, "{}");
  await registry.createStream(OTHER_PATH, "{}");
  await registry.grantPermission(id, alice.address, Permission.Publish);
  const relayer = accounts.others[0];
  const { chainId } = await ethers.provider.getNetwork();
  return { ...accounts, id, otherId, relayer, chainId: Number(chainId) };
}
type Fixture = Awaited<ReturnType<typeof signedFixture>>;

/** One change of each signable write, signed by the creator (who holds everything on both streams). */
function changesOf({ id, otherId, alice, bob }: Fixture, expiry: number): RegistryCall[] {
  return [
    { functionName: "createStream", args: ["/sensors/pressure", '{"unit":"hPa"}'] },
    { functionName: "updateStreamMetadata", args: [id, '{"unit":"C"}'] },
    { functionName: "deleteStream", args: [id] },
    { functionName: "grantPermission", args: [id, bob.address as `0x${string}`, Permission.Subscribe] },
    { functionName: "revokePermission", args: [id, alice.address as `0x${string}`, Permission.Publish] },
    { functionName: "revokeAllPermissionsForUser", args: [id, alice.address as `0x${string}`] },
    {
      functionName: "grantPermissions",
      args: [id, [bob.address as `0x${string}`, PUBLIC], [expiriesOf(expiry, Permission.Publish, Permission.Grant), expiriesOf(FOREVER, Permission.Subscribe)]],
    },
    { functionName: "revokePermissions", args: [id, [alice.address as `0x${string}`], [1 << Permission.Publish]] },
    { functionName: "setPermissions", args: [id, [alice.address as `0x${string}`], [expiriesOf(expiry, Permission.Subscribe)]] },
    {
      functionName: "setPermissionsMultipleStreams",
      args: [
        [id, otherId],
        [[bob.address as `0x${string}`], [alice.address as `0x${string}`, PUBLIC]],
        [[expiriesOf(expiry, Permission.Edit)], [expiriesOf(FOREVER, Permission.Delete), expiriesOf(expiry, Permission.Publish)]],
      ],
    },
  ];
}

/** The EIP-712 signature of `signer` over `call` for the registry at `registryAddress` on `chainId`. */
async function sign(
  signer: Signer,
  call: RegistryCall,
  by: { signer: string; nonce: bigint; deadline: bigint },
  domain: { chainId: number; registryAddress: string },
): Promise<string> {
  const { domain: typedDomain, types, message } = signedChangeTypedData(call, { ...by, signer: by.signer as `0x${string}` }, {
    chainId: domain.chainId,
    registryAddress: domain.registryAddress as `0x${string}`,
  });
  return signer.signTypedData(typedDomain as Record<string, unknown>, types as never, message);
}

async function signedBy(fixture: Fixture, signer: Signer, call: RegistryCall, overrides: Partial<SignedBy> = {}): Promise<SignedBy> {
  const by = { signer: await signer.getAddress(), nonce: 7n, deadline: BigInt((await time.latest()) + 3600), ...overrides };
  const signature = overrides.signature ?? (await sign(signer, call, by, { chainId: fixture.chainId, registryAddress: await fixture.registry.getAddress() }));
  return { ...by, signature };
}

function submit(registry: StreamRegistry, relayer: Signer, call: { functionName: string; args: readonly unknown[] }, by: SignedBy) {
  const { signature, ...signedBy } = by;
  return registry.connect(relayer).getFunction(`${call.functionName}BySig`)(...call.args, signedBy, signature);
}

/** Whom each test looks at: both streams and everyone involved, plus the stream a signed creation makes. */
function watched({ id, otherId, creator, alice, bob, relayer }: Fixture): [string[], string[]] {
  return [
    [id, otherId, streamIdOf(creator.address, "/sensors/pressure"), streamIdOf(relayer.address, "/sensors/pressure")],
    [PUBLIC, creator.address, alice.address, bob.address, relayer.address],
  ];
}

/**
 * Every leaf of a call's arguments changed, one at a time: a string gets a suffix, an address
 * becomes another, a number moves by one (staying valid for its type).
 */
function tamperedArgs(args: readonly unknown[], other: string): { where: string; args: unknown[] }[] {
  const variants: { where: string; args: unknown[] }[] = [];
  const walk = (value: unknown, path: string, replace: (v: unknown) => unknown[]) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`, (v) => replace(value.map((x, j) => (j === i ? v : x)))));
    } else if (typeof value === "number") {
      variants.push({ where: path, args: replace(value === 0 ? 1 : value - 1) });
    } else if (typeof value === "string" && ethers.isAddress(value)) {
      variants.push({ where: path, args: replace(value.toLowerCase() === other.toLowerCase() ? PUBLIC : other) });
    } else if (typeof value === "string") {
      variants.push({ where: path, args: replace(`${value}x`) });
    }
  };
  walk(args, "args", (v) => v as unknown[]);
  return variants;
}

describe("StreamRegistry signed changes (…BySig)", () => {
  for (const name of SIGNABLE_FUNCTION_NAMES) {
    describe(`${name}BySig`, () => {
      async function setup() {
        const fixture = await loadFixture(signedFixture);
        const call = changesOf(fixture, (await time.latest()) + 86_400).find((c) => c.functionName === name)!;
        return { fixture, call, ids: watched(fixture)[0], holders: watched(fixture)[1] };
      }

      it("applies the change exactly as if the signer had sent it (same events, same state), sent by an account without permissions", async () => {
        const { fixture, call, ids, holders } = await setup();
        const { registry, creator, relayer } = fixture;
        const by = await signedBy(fixture, creator, call);

        const snapshot = await takeSnapshot();
        const directEvents = await eventsOf(registry, registry.connect(creator).getFunction(call.functionName)(...call.args));
        const directState = await stateOf(registry, ids, holders);
        await snapshot.restore();

        const signedEvents = await eventsOf(registry, submit(registry, relayer, call, by));
        expect(signedEvents).to.deep.equal(directEvents);
        expect(signedEvents.length).to.be.greaterThan(0);
        expect(await stateOf(registry, ids, holders)).to.deep.equal(directState);
        expect(await registry.nonceBitmap(creator.address, 0)).to.equal(1n << 7n);
      });

      it("refuses it after its deadline (SignatureExpired) and changes nothing", async () => {
        const { fixture, call, ids, holders } = await setup();
        const { registry, creator, relayer } = fixture;
        const deadline = BigInt(await time.latest());
        const by = await signedBy(fixture, creator, call, { deadline });
        await expectNoChange(registry, ids, holders, async () => {
          // The next block is one second later: the deadline itself is the last valid second.
          await expect(submit(registry, relayer, call, by)).to.be.revertedWithCustomError(registry, "SignatureExpired").withArgs(deadline);
        });
        expect(await registry.nonceBitmap(creator.address, 0)).to.equal(0n);
      });

      it("refuses it a second time (NonceAlreadyUsed)", async () => {
        const { fixture, call, ids, holders } = await setup();
        const { registry, creator, relayer } = fixture;
        const by = await signedBy(fixture, creator, call);
        await submit(registry, relayer, call, by);
        await expectNoChange(registry, ids, holders, async () => {
          await expect(submit(registry, relayer, call, by)).to.be.revertedWithCustomError(registry, "NonceAlreadyUsed").withArgs(creator.address, 7n);
        });
      });

      it("refuses it once the signer cancelled its nonce (NonceAlreadyUsed) and changes nothing", async () => {
        const { fixture, call, ids, holders } = await setup();
        const { registry, creator, relayer } = fixture;
        const by = await signedBy(fixture, creator, call, { nonce: 256n + 7n });
        await expect(registry.connect(creator).invalidateUnorderedNonces(1, (1n << 7n) | (1n << 9n)))
          .to.emit(registry, "UnorderedNonceInvalidation")
          .withArgs(creator.address, 1n, (1n << 7n) | (1n << 9n));
        await expectNoChange(registry, ids, holders, async () => {
          await expect(submit(registry, relayer, call, by)).to.be.revertedWithCustomError(registry, "NonceAlreadyUsed").withArgs(creator.address, 263n);
        });
      });

      it("refuses a change signed for another chain or another registry (InvalidSignature) and changes nothing", async () => {
        const { fixture, call, ids, holders } = await setup();
        const { registry, creator, relayer } = fixture;
        const other = await (await ethers.getContractFactory("StreamRegistry")).deploy();
        const deadline = BigInt((await time.latest()) + 3600);
        const domains = [
          { chainId: 1, registryAddress: await registry.getAddress() },
          { chainId: fixture.chainId, registryAddress: await other.getAddress() },
        ];
        for (const domain of domains) {
          const by = { signer: creator.address, nonce: 7n, deadline };
          const signature = await sign(creator, call, by, domain);
          await expectNoChange(registry, ids, holders, async () => {
            await expect(submit(registry, relayer, call, { ...by, signature })).to.be.revertedWithCustomError(registry, "InvalidSignature").withArgs(creator.address);
          });
        }
      });

      it("refuses it when any field was tampered with (InvalidSignature) and changes nothing", async () => {
        const { fixture, call, ids, holders } = await setup();
        const { registry, creator, relayer, carol } = fixture;
        const by = await signedBy(fixture, creator, call);
        const tampered = [
          ...tamperedArgs(call.args, carol.address).map(({ where, args }) => ({ where, args, by })),
          { where: "signer", args: call.args, by: { ...by, signer: carol.address } },
          { where: "nonce", args: call.args, by: { ...by, nonce: 8n } },
          { where: "deadline", args: call.args, by: { ...by, deadline: by.deadline + 1n } },
          { where: "signature", args: call.args, by: { ...by, signature: `${by.signature.slice(0, 10)}${by.signature[10] === "0" ? "1" : "0"}${by.signature.slice(11)}` } },
        ];
        expect(tampered.length).to.be.greaterThan(4);
        for (const variant of tampered) {
          await expectNoChange(registry, ids, holders, async () => {
            await expect(submit(registry, relayer, { functionName: call.functionName, args: variant.args }, variant.by), variant.where)
              .to.be.revertedWithCustomError(registry, "InvalidSignature")
              .withArgs(variant.by.signer);
          });
        }
      });

      if (name !== "createStream") {
        it("refuses a valid signature of a signer without the permission, with the direct call's error", async () => {
          const { fixture, call, ids, holders } = await setup();
          const { registry, bob, relayer } = fixture;
          const by = await signedBy(fixture, bob, call);
          const direct = registry.connect(bob).getFunction(call.functionName).staticCall(...call.args);
          const required = name === "updateStreamMetadata" ? Permission.Edit : name === "deleteStream" ? Permission.Delete : Permission.Grant;
          await expect(direct).to.be.revertedWithCustomError(registry, "Unauthorized").withArgs(fixture.id, bob.address, required);
          await expectNoChange(registry, ids, holders, async () => {
            await expect(submit(registry, relayer, call, by)).to.be.revertedWithCustomError(registry, "Unauthorized").withArgs(fixture.id, bob.address, required);
          });
        });
      }
    });
  }

  describe("signers", () => {
    it("creates a signed stream under the signer, not under the account that sent it", async () => {
      const fixture = await loadFixture(signedFixture);
      const { registry, bob, relayer } = fixture;
      const call: RegistryCall = { functionName: "createStream", args: ["/mine", ""] };
      await submit(registry, relayer, call, await signedBy(fixture, bob, call));
      expect(await registry.exists(streamIdOf(bob.address, "/mine"))).to.equal(true);
      expect(await registry.exists(streamIdOf(relayer.address, "/mine"))).to.equal(false);
      expect(await registry.hasDirectPermission(streamIdOf(bob.address, "/mine"), bob.address, Permission.Grant)).to.equal(true);
    });

    it("accept nonces in any order, each once, and keep one bitmap per signer", async () => {
      const fixture = await loadFixture(signedFixture);
      const { registry, creator, bob, relayer } = fixture;
      const calls: RegistryCall[] = [300n, 3n, 0n, 255n].map((nonce) => ({ functionName: "createStream", args: [`/n${nonce}`, ""] }));
      for (const [i, nonce] of [300n, 3n, 0n, 255n].entries()) {
        await submit(registry, relayer, calls[i], await signedBy(fixture, creator, calls[i], { nonce }));
      }
      expect(await registry.nonceBitmap(creator.address, 0)).to.equal((1n << 255n) | (1n << 3n) | 1n);
      expect(await registry.nonceBitmap(creator.address, 1)).to.equal(1n << 44n);
      // Bob's nonce 3 is his own.
      await submit(registry, relayer, calls[1], await signedBy(fixture, bob, calls[1], { nonce: 3n }));
      expect(await registry.nonceBitmap(bob.address, 0)).to.equal(1n << 3n);
    });

    it("cancel only nonces not yet spent: the event names the newly cancelled ones, and nothing when there are none", async () => {
      const fixture = await loadFixture(signedFixture);
      const { registry, creator, relayer } = fixture;
      const call: RegistryCall = { functionName: "createStream", args: ["/c", ""] };
      await submit(registry, relayer, call, await signedBy(fixture, creator, call, { nonce: 1n }));
      await expect(registry.invalidateUnorderedNonces(0, 0b11n)).to.emit(registry, "UnorderedNonceInvalidation").withArgs(creator.address, 0n, 0b01n);
      await expect(registry.invalidateUnorderedNonces(0, 0b11n)).not.to.emit(registry, "UnorderedNonceInvalidation");
      expect(await registry.nonceBitmap(creator.address, 0)).to.equal(0b11n);
    });

    it("refuse a signature by another key than the signer's, and a malformed one (InvalidSignature)", async () => {
      const fixture = await loadFixture(signedFixture);
      const { registry, creator, bob, relayer, id } = fixture;
      const call: RegistryCall = { functionName: "deleteStream", args: [id] };
      const bobSigned = await signedBy(fixture, bob, call);
      for (const signature of [bobSigned.signature, "0x", `0x${"00".repeat(65)}`, `${bobSigned.signature}00`]) {
        await expect(submit(registry, relayer, call, { ...bobSigned, signer: creator.address, signature }))
          .to.be.revertedWithCustomError(registry, "InvalidSignature")
          .withArgs(creator.address);
      }
      expect(await registry.exists(id)).to.equal(true);
    });

    it("reports a batch of unequal lengths as LengthMismatch, as the direct call does", async () => {
      const fixture = await loadFixture(signedFixture);
      const { registry, creator, relayer, id, alice } = fixture;
      const call: RegistryCall = { functionName: "setPermissions", args: [id, [alice.address as `0x${string}`], []] };
      const by = { signer: creator.address, nonce: 1n, deadline: BigInt((await time.latest()) + 60), signature: "0x" };
      await expect(submit(registry, relayer, call, by)).to.be.revertedWithCustomError(registry, "LengthMismatch");
    });
  });

  describe("ERC-1271 wallets", () => {
    async function walletFixture() {
      const fixture = await signedFixture();
      const { alice } = fixture;
      const wallet = await (await ethers.getContractFactory("ERC1271WalletMock")).deploy(alice.address);
      return { ...fixture, wallet: await wallet.getAddress() };
    }

    it("apply a change the wallet's owner signed for the wallet: it creates and grants on the wallet's own stream", async () => {
      const fixture = await loadFixture(walletFixture);
      const { registry, alice, bob, relayer, wallet } = fixture;
      const id = streamIdOf(wallet, "/wallet");
      const create: RegistryCall = { functionName: "createStream", args: ["/wallet", ""] };
      await submit(registry, relayer, create, await signedBy(fixture, alice, create, { signer: wallet }));
      expect(await registry.hasDirectPermission(id, wallet, Permission.Grant)).to.equal(true);

      const grant: RegistryCall = { functionName: "grantPermission", args: [id, bob.address as `0x${string}`, Permission.Publish] };
      await expect(submit(registry, relayer, grant, await signedBy(fixture, alice, grant, { signer: wallet, nonce: 8n })))
        .to.emit(registry, "PermissionsUpdated");
      expect(await registry.hasDirectPermission(id, bob.address, Permission.Publish)).to.equal(true);
      expect(await registry.nonceBitmap(wallet, 0)).to.equal((1n << 7n) | (1n << 8n));
    });

    it("refuse a change for the wallet signed by a key that is not its owner's (InvalidSignature) and create nothing", async () => {
      const fixture = await loadFixture(walletFixture);
      const { registry, bob, relayer, wallet } = fixture;
      const create: RegistryCall = { functionName: "createStream", args: ["/wallet", ""] };
      await expect(submit(registry, relayer, create, await signedBy(fixture, bob, create, { signer: wallet })))
        .to.be.revertedWithCustomError(registry, "InvalidSignature")
        .withArgs(wallet);
      expect(await registry.exists(streamIdOf(wallet, "/wallet"))).to.equal(false);
    });

    it("refuse replaying one wallet's change as another wallet's of the same owner: the signer is part of what is signed", async () => {
      const fixture = await loadFixture(walletFixture);
      const { registry, alice, relayer, wallet } = fixture;
      const twin = await (await (await ethers.getContractFactory("ERC1271WalletMock")).deploy(alice.address)).getAddress();
      const create: RegistryCall = { functionName: "createStream", args: ["/wallet", ""] };
      const by = await signedBy(fixture, alice, create, { signer: wallet });
      await expect(submit(registry, relayer, create, { ...by, signer: twin })).to.be.revertedWithCustomError(registry, "InvalidSignature").withArgs(twin);
    });
  });
});
