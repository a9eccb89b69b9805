import { expect } from "chai";
import fc from "fast-check";
import { zeroAddress } from "viem";
import { decodeAssignment, encodeExpiries, encodeRevocations } from "../../sdk/assignments";
import { blockRanges } from "../../sdk/blockRanges";
import { FOREVER, InvalidArgumentError, PUBLIC_PERMISSIONS, STREAM_PERMISSIONS, unpackExpiries, type Expiries, type PermissionAssignment } from "../../sdk";
import { packExpiries } from "../contracts/model/registryModel";

const NOW = 1_800_000_000;

/** A valid assignment: distinct permissions in enum order, some with a future expiry. */
const assignment = (holder: { userId: string } | { public: true }) =>
  fc
    .subarray([...("public" in holder ? PUBLIC_PERMISSIONS : STREAM_PERMISSIONS)], { minLength: 1 })
    .chain((permissions) =>
      fc
        .tuple(...permissions.map(() => fc.option(fc.integer({ min: NOW + 1, max: FOREVER - 1 }), { nil: undefined })))
        .map((expiries): PermissionAssignment => {
          const expiresAt = Object.fromEntries(
            permissions.flatMap((p, i) => (expiries[i] === undefined ? [] : [[p, new Date(expiries[i]! * 1000)]])),
          );
          return { ...holder, permissions, ...(Object.keys(expiresAt).length > 0 && { expiresAt }) };
        }),
    );

describe("assignment encoding", () => {
  it("decoding what was encoded gives the assignment back (Streamr shape)", () => {
    const holder = fc.oneof(
      fc.constant({ public: true as const }),
      fc.stringMatching(/^0x[0-9a-f]{40}$/).filter((a) => a !== zeroAddress).map((userId) => ({ userId })),
    );
    fc.assert(
      fc.property(holder.chain(assignment), (a) => {
        const { users, expiries } = encodeExpiries([a], { allowEmpty: false });
        expect(decodeAssignment(users[0], expiries[0], NOW)).to.deep.equal(a);
        const { expiresAt: _, ...revocation } = a;
        const { masks } = encodeRevocations([revocation as PermissionAssignment]);
        expect(masks[0]).to.equal(a.permissions.reduce((m, p) => m | (1 << STREAM_PERMISSIONS.indexOf(p)), 0));
      }),
    );
  });

  it("decodes nothing held as undefined, and leaves out what expired at the given time", () => {
    expect(decodeAssignment(zeroAddress, [0, 0, 0, 0, 0], NOW)).to.equal(undefined);
    expect(decodeAssignment(zeroAddress, [0, 0, NOW, NOW + 1, 0], NOW)).to.deep.equal({
      public: true,
      permissions: ["subscribe"],
      expiresAt: { subscribe: new Date((NOW + 1) * 1000) },
    });
  });

  it("rejects an invalid Date and one outside (0, FOREVER); leaves 'past' to the chain's clock", () => {
    const at = (seconds: number) => ({ userId: "0x" + "1".repeat(40), permissions: STREAM_PERMISSIONS.slice(2, 3), expiresAt: { publish: new Date(seconds * 1000) } });
    expect(() => encodeExpiries([at(0)], { allowEmpty: false })).to.throw(InvalidArgumentError);
    expect(() => encodeExpiries([at(NaN)], { allowEmpty: false })).to.throw(InvalidArgumentError);
    expect(() => encodeExpiries([at(FOREVER)], { allowEmpty: false })).to.throw(InvalidArgumentError);
    expect(encodeExpiries([at(1)], { allowEmpty: false }).expiries).to.deep.equal([[0, 0, 1, 0, 0]]);
    expect(encodeExpiries([at(FOREVER - 1)], { allowEmpty: false }).expiries).to.deep.equal([[0, 0, FOREVER - 1, 0, 0]]);
  });
});

describe("blockRanges", () => {
  it("covers from..to exactly, in order, with ranges of at most `size` blocks", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10_000n }), fc.bigInt({ min: -1n, max: 200n }), fc.integer({ min: 1, max: 50 }), (from, span, size) => {
        const to = from + span;
        const ranges = blockRanges(from, to, size);
        let next = from;
        for (const range of ranges) {
          expect(range.fromBlock).to.equal(next);
          expect(range.toBlock - range.fromBlock + 1n <= BigInt(size) && range.toBlock >= range.fromBlock).to.equal(true);
          next = range.toBlock + 1n;
        }
        expect(next).to.equal(to < from ? from : to + 1n);
      }),
    );
  });

  it("rejects a page size that is not a positive integer", () => {
    for (const size of [0, -1, 1.5, NaN]) expect(() => blockRanges(0n, 10n, size)).to.throw(InvalidArgumentError);
  });

  it("unpackExpiries reads the five expiries of a PermissionsUpdated event, as the registry packs them", () => {
    const expiry = fc.integer({ min: 0, max: FOREVER });
    fc.assert(
      fc.property(fc.tuple(expiry, expiry, expiry, expiry, expiry), (expiries) => {
        expect(unpackExpiries(packExpiries(expiries as Expiries))).to.deep.equal(expiries);
      }),
    );
  });
});
