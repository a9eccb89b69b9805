import { expect } from "chai";
import { Wallet } from "ethers";
import { verifyTypedData, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  accessGrantTypedData,
  delegationTypedData,
  fromPermissionBits,
  InvalidAccessGrantError,
  InvalidArgumentError,
  InvalidDelegationError,
  parseAccessGrant,
  parseAccessGrantText,
  parseDelegation,
  PUBLISH_BIT,
  recoverDelegationSigner,
  signAccessGrant,
  signDelegation,
  StreamPermission,
  SUBSCRIBE_BIT,
  toPermissionBits,
  verifyAccessGrant,
  type SignerSource,
} from "../../../sdk";
import { DOMAIN, delegationOf, grantOf, HOLDER, HOLDER_KEY, ISSUER, ISSUER_KEY, signedDelegation, signedGrant, STREAM_ID } from "./fixtures";

const SIGNERS: Array<[string, () => SignerSource]> = [
  ["a private key", () => HOLDER_KEY],
  ["a viem account", () => privateKeyToAccount(HOLDER_KEY)],
  ["an ethers signer", () => new Wallet(HOLDER_KEY)],
];

function expectInvalid(run: () => unknown, ErrorClass: typeof InvalidDelegationError | typeof InvalidAccessGrantError, problem: RegExp): void {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ErrorClass);
    expect((error as InvalidDelegationError).rule).to.equal("malformed");
    expect((error as InvalidDelegationError).problem).to.match(problem);
    return;
  }
  expect.fail(`accepted input that should fail with ${problem}`);
}

describe("sdk/delegation structs", () => {
  describe("Delegation", () => {
    for (const [name, signer] of SIGNERS) {
      it(`signed with ${name}, verifies with viem's verifyTypedData and recovers the holder`, async () => {
        const unsigned = delegationOf();
        const delegation = await signDelegation(unsigned, { signer: signer(), domain: DOMAIN });
        expect(delegation).to.deep.equal({ ...unsigned, signature: delegation.signature });
        const { signature, ...fields } = delegation;
        expect(await verifyTypedData({ ...delegationTypedData(fields, DOMAIN), address: HOLDER, signature })).to.equal(true);
        expect(recoverDelegationSigner(delegation, DOMAIN)).to.equal(HOLDER);
      });
    }

    it("every signer gives the same canonical signature (deterministic ECDSA, low s)", async () => {
      const unsigned = delegationOf();
      const signatures = await Promise.all(SIGNERS.map(([, signer]) => signDelegation(unsigned, { signer: signer(), domain: DOMAIN }).then((d) => d.signature)));
      expect(new Set(signatures).size).to.equal(1);
    });

    it("recovers someone else for another chain, another registry or a changed field", async () => {
      const delegation = await signedDelegation();
      expect(recoverDelegationSigner(delegation, { ...DOMAIN, chainId: 1 })).to.not.equal(HOLDER);
      expect(recoverDelegationSigner(delegation, { ...DOMAIN, verifyingContract: "0x0000000000000000000000000000000000000001" })).to.not.equal(HOLDER);
      for (const changed of [{ streamIds: [`${STREAM_ID}x`] }, { permissions: PUBLISH_BIT }, { expiresAt: delegation.expiresAt + 1 }, { salt: `0x${"11".repeat(32)}` as Hex }]) {
        expect(recoverDelegationSigner({ ...delegation, ...changed }, DOMAIN)).to.not.equal(HOLDER);
      }
    });

    it("survives JSON: numbers stay numbers, the parse gives back the same struct", async () => {
      const delegation = await signedDelegation();
      const json = JSON.parse(JSON.stringify(delegation));
      expect(typeof json.expiresAt).to.equal("number");
      expect(typeof json.permissions).to.equal("number");
      expect(parseDelegation(json)).to.deep.equal(delegation);
    });

    it("parses strictly, naming the problem", async () => {
      const good = await signedDelegation();
      const cases: Array<[unknown, RegExp]> = [
        [null, /must be an object/],
        [[good], /must be an object/],
        [{ ...good, holder: HOLDER }, /holder is not a field/],
        [{ ...good, salt: undefined }, /salt must be/],
        [(({ salt: _, ...rest }) => rest)(good), /salt is missing/],
        [{ ...good, delegate: good.delegate.toUpperCase().replace("0X", "0x") }, /delegate must be a lowercase 0x address/],
        [{ ...good, streamIds: [] }, /streamIds must be an array/],
        [{ ...good, streamIds: STREAM_ID }, /streamIds must be an array/],
        [{ ...good, streamIds: [STREAM_ID, STREAM_ID] }, /distinct/],
        [{ ...good, streamIds: [STREAM_ID.toUpperCase()] }, /not a valid stream id|canonical/],
        [{ ...good, streamIds: ["nope"] }, /not a valid stream id/],
        [{ ...good, permissions: 1 << 4 }, /permissions/],
        [{ ...good, permissions: PUBLISH_BIT | 1 }, /permissions/],
        [{ ...good, permissions: 0 }, /permissions/],
        [{ ...good, permissions: "4" }, /permissions/],
        [{ ...good, expiresAt: String(good.expiresAt) }, /expiresAt/],
        [{ ...good, expiresAt: 1.5 }, /expiresAt/],
        [{ ...good, signature: `${good.signature}00` }, /signature must be/],
        [{ ...good, salt: "0x01" }, /salt must be/],
      ];
      for (const [input, problem] of cases) expectInvalid(() => parseDelegation(input), InvalidDelegationError, problem);
    });

    it("refuses to sign a delegation of another permission than publish or subscribe", async () => {
      for (const permission of [StreamPermission.EDIT, StreamPermission.DELETE, StreamPermission.GRANT]) {
        expect(() => toPermissionBits([permission])).to.throw(InvalidArgumentError, new RegExp(permission));
      }
      let error: unknown;
      await signDelegation(delegationOf({ permissions: 1 << 4 }), { signer: HOLDER_KEY, domain: DOMAIN }).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(InvalidDelegationError);
    });

    it("maps permissions to bits and back", () => {
      expect(toPermissionBits([StreamPermission.PUBLISH])).to.equal(PUBLISH_BIT).and.to.equal(4);
      expect(toPermissionBits([StreamPermission.SUBSCRIBE, StreamPermission.PUBLISH])).to.equal(PUBLISH_BIT | SUBSCRIBE_BIT).and.to.equal(12);
      expect(fromPermissionBits(SUBSCRIBE_BIT)).to.deep.equal([StreamPermission.SUBSCRIBE]);
      expect(() => toPermissionBits([])).to.throw(InvalidArgumentError);
    });
  });

  describe("AccessGrant", () => {
    it("records its issuer and verifies with viem's verifyTypedData", async () => {
      const unsigned = grantOf();
      const grant = await signAccessGrant(unsigned, { signer: privateKeyToAccount(ISSUER_KEY), domain: DOMAIN });
      expect(grant).to.deep.equal({ ...unsigned, issuer: ISSUER, signature: grant.signature });
      const { signature, issuer: _, ...fields } = grant;
      expect(await verifyTypedData({ ...accessGrantTypedData(fields, DOMAIN), address: ISSUER, signature })).to.equal(true);
      expect(verifyAccessGrant(grant, DOMAIN)).to.equal(true);
      expect(parseAccessGrant(JSON.parse(JSON.stringify(grant)))).to.deep.equal(grant);
    });

    it("does not verify for another issuer, chain, registry or a changed field", async () => {
      const grant = await signedGrant();
      expect(verifyAccessGrant({ ...grant, issuer: HOLDER }, DOMAIN)).to.equal(false);
      expect(verifyAccessGrant(grant, { ...DOMAIN, chainId: 5 })).to.equal(false);
      expect(verifyAccessGrant(grant, { ...DOMAIN, verifyingContract: "0x0000000000000000000000000000000000000002" })).to.equal(false);
      expect(verifyAccessGrant({ ...grant, grantee: HOLDER }, DOMAIN)).to.equal(false);
      expect(verifyAccessGrant({ ...grant, streamId: `${STREAM_ID}2` }, DOMAIN)).to.equal(false);
    });

    it("parses strictly, naming the problem", async () => {
      const good = await signedGrant();
      const cases: Array<[unknown, RegExp]> = [
        ["grant", /must be an object/],
        [{ ...good, streamIds: [STREAM_ID] }, /streamIds is not a field/],
        [(({ issuer: _, ...rest }) => rest)(good), /issuer is missing/],
        [{ ...good, streamId: `${STREAM_ID}/` }, /streamId/],
        [{ ...good, grantee: "0x1234" }, /grantee must be/],
        [{ ...good, permissions: 1 << 4 }, /permissions/],
        [{ ...good, expiresAt: -1 }, /expiresAt/],
      ];
      for (const [input, problem] of cases) expectInvalid(() => parseAccessGrant(input), InvalidAccessGrantError, problem);
    });

    it("is read from its text, as keyway grant issue prints it, equal to the signed grant", async () => {
      const grant = await signedGrant();
      expect(parseAccessGrantText(`${JSON.stringify(grant)}\n`)).to.deep.equal(grant);
    });

    it("from text that is not JSON is InvalidAccessGrantError (malformed), with the JSON error as its cause", () => {
      for (const text of ["", "grant please", "{not json", '{"grantee":']) {
        expect(() => parseAccessGrantText(text), JSON.stringify(text))
          .to.throw(InvalidAccessGrantError, /^Invalid access grant: the text is not JSON$/)
          .that.includes({ code: "INVALID_GRANT", rule: "malformed", problem: "the text is not JSON" })
          .and.has.property("cause")
          .that.is.instanceOf(SyntaxError);
      }
    });

    it("from JSON that is not a grant is refused as parseAccessGrant refuses it, naming the problem", async () => {
      const good = await signedGrant();
      const cases: Array<[string, RegExp]> = [
        ["null", /must be an object/],
        ['"grant"', /must be an object/],
        ["[]", /must be an object/],
        [JSON.stringify({ ...good, extra: 1 }), /^extra is not a field$/],
        [JSON.stringify({ ...good, issuer: undefined }), /^issuer is missing$/],
        [JSON.stringify({ ...good, signature: good.signature.toUpperCase().replace("0X", "0x") }), /^signature must be/],
      ];
      for (const [text, problem] of cases) expectInvalid(() => parseAccessGrantText(text), InvalidAccessGrantError, problem);
    });
  });
});
