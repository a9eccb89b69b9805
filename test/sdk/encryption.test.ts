import { expect } from "chai";
import type { Address, Hex } from "viem";
import {
  checkKeyRequest,
  createGroupKey,
  decryptContent,
  encryptContent,
  InvalidKeyRequestError,
  isKeyResponse,
  KEY_REQUEST_MAX_AGE_MS,
  type KeyRequest,
  parseKeyRequest,
  privateKeySigner,
  type PermissionSource,
  signKeyRequest,
  StreamPermission,
  unwrapGroupKeys,
  wrapGroupKeys,
} from "../../sdk";
import { createAuthorityContext } from "../../sdk/delegation/check";
import { bytesToHex } from "../../sdk/message/hex";
import { generateAgreementKeyPair } from "../../sdk/encryption/webCrypto";
import { DOMAIN, GRANTEE, GRANTEE_KEY, HOLDER, HOLDER_KEY, ISSUER, SESSION_KEY, signedDelegation, signedGrant, STRANGER_KEY, STREAM_ID } from "./delegation/fixtures";

const encoder = new TextEncoder();
/** A call that throws or rejects, as a promise either way (content sealing is synchronous on Node). */
const attempt = <T>(call: () => T | Promise<T>): Promise<T> => Promise.resolve().then(call);
const FOREVER = 2 ** 40 - 1;

/** Subscribe (and Grant) held as listed, forever; nothing else. */
function holding(subscribers: Address[], granters: Address[] = []): PermissionSource {
  return {
    getPermissionExpiry: ({ userId, permission }) =>
      (permission === StreamPermission.SUBSCRIBE && subscribers.includes(userId as Address)) || (permission === StreamPermission.GRANT && granters.includes(userId as Address)) ? FOREVER : 0,
  };
}

function requestOf(overrides: Partial<KeyRequest> = {}): KeyRequest {
  return { streamId: STREAM_ID, requester: HOLDER, publisher: GRANTEE, publicKey: `0x${"11".repeat(32)}`, groupKeyIds: ["k1"], timestamp: Date.now(), ...overrides };
}

describe("sdk/encryption", function () {
  describe("content under a group key (AES-256-GCM)", function () {
    it("round-trips, with a fresh nonce each time; bound to the stream, the publisher and the key id", async function () {
      const key = await createGroupKey(HOLDER);
      const plaintext = encoder.encode('{"marker":"x"}');
      const [a, b] = [await encryptContent(STREAM_ID, key, plaintext), await encryptContent(STREAM_ID, key, plaintext)];
      expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(false);
      expect(a.length).to.equal(plaintext.length + 28);
      expect(await decryptContent(STREAM_ID, key, a)).to.deep.equal(plaintext);
      for (const [streamId, other] of [
        [`${HOLDER}/other`, key],
        [STREAM_ID, { ...key, publisher: GRANTEE }],
        [STREAM_ID, { ...key, id: "other" }],
        [STREAM_ID, await createGroupKey(HOLDER)],
      ] as const) {
        await attempt(() => decryptContent(streamId, other, a)).then(
          () => expect.fail("opened under another binding"),
          (error: unknown) => expect(error).to.be.instanceOf(Error),
        );
      }
      const flipped = a.slice();
      flipped[20] ^= 1;
      await attempt(() => decryptContent(STREAM_ID, key, flipped)).then(() => expect.fail("opened tampered ciphertext"), () => undefined);
      await attempt(() => decryptContent(STREAM_ID, key, a.subarray(0, 27))).then(() => expect.fail("opened a short one"), (error: unknown) => expect(error).to.be.instanceOf(RangeError));
    });
  });

  describe("key responses (X25519 + HKDF + AES-GCM to the request's one-time key)", function () {
    it("open only with the requester's key pair, for that request", async function () {
      const requester = await generateAgreementKeyPair();
      const keys = [await createGroupKey(HOLDER), await createGroupKey(HOLDER)];
      const request = { publicKey: bytesToHex(requester.publicKey), signature: `0x${"ab".repeat(65)}` as Hex };
      const response = await wrapGroupKeys(STREAM_ID, request, keys);
      expect(isKeyResponse(response)).to.equal(true);
      const opened = await unwrapGroupKeys(response, requester);
      expect(opened.map((key) => [key.publisher, key.id, bytesToHex(key.raw)])).to.deep.equal(keys.map((key) => [key.publisher, key.id, bytesToHex(key.raw)]));
      const stranger = await generateAgreementKeyPair();
      // One at a time: each rejection is awaited as it happens (none left unhandled meanwhile).
      for (const [what, open] of [
        ["another key pair", () => unwrapGroupKeys(response, stranger)],
        ["another request", () => unwrapGroupKeys({ ...response, requestSignature: `0x${"cd".repeat(65)}` }, requester)],
        ["another stream", () => unwrapGroupKeys({ ...response, streamId: `${HOLDER}/other` }, requester)],
        ["a swapped answer key", () => unwrapGroupKeys({ ...response, publicKey: bytesToHex(stranger.publicKey) }, requester)],
      ] as const) {
        await open().then(() => expect.fail(`opened with ${what}`), () => undefined);
      }
    });

    it("isKeyResponse refuses extra fields, bad hex and oversized ciphertext", function () {
      const good = { streamId: STREAM_ID, requestSignature: `0x${"ab".repeat(65)}`, publicKey: `0x${"11".repeat(32)}`, ciphertext: "0x0011" };
      expect(isKeyResponse(good)).to.equal(true);
      for (const bad of [null, [], { ...good, extra: 1 }, { ...good, streamId: "nope" }, { ...good, publicKey: "0x11" }, { ...good, ciphertext: "0x0" }, { ...good, ciphertext: `0x${"00".repeat(100_000)}` }]) {
        expect(isKeyResponse(bad), JSON.stringify(bad)?.slice(0, 80)).to.equal(false);
      }
    });
  });

  describe("key requests: the check the relay and every answering client make", function () {
    const now = () => Date.now();

    it("admits a Subscribe holder's own request and refuses a non-holder's, a forged, a stale and a tampered one", async function () {
      const context = createAuthorityContext(DOMAIN, holding([HOLDER]));
      const signed = await signKeyRequest(requestOf(), { signer: privateKeySigner(HOLDER_KEY), domain: DOMAIN });
      expect((await checkKeyRequest(context, signed, now())).request).to.deep.equal(signed);
      const refusals: [string, unknown, string][] = [
        ["non-holder", await signKeyRequest(requestOf({ requester: GRANTEE }), { signer: privateKeySigner(GRANTEE_KEY), domain: DOMAIN }), "unauthorized"],
        ["forged", await signKeyRequest(requestOf(), { signer: privateKeySigner(STRANGER_KEY), domain: DOMAIN }), "signature"],
        ["other chain", await signKeyRequest(requestOf(), { signer: privateKeySigner(HOLDER_KEY), domain: { ...DOMAIN, chainId: 1 } }), "signature"],
        ["stale", await signKeyRequest(requestOf({ timestamp: now() - KEY_REQUEST_MAX_AGE_MS - 1_000 }), { signer: privateKeySigner(HOLDER_KEY), domain: DOMAIN }), "expired"],
        ["tampered key", { ...signed, publicKey: `0x${"22".repeat(32)}` }, "signature"],
        ["tampered ids", { ...signed, groupKeyIds: ["k2"] }, "signature"],
        ["malformed", { ...signed, timestamp: "now" }, "malformed"],
        ["extra field", { ...signed, to: "x" }, "malformed"],
        ["too many ids", { ...signed, groupKeyIds: Array(17).fill("k") }, "malformed"],
      ];
      for (const [what, request, rule] of refusals) {
        await checkKeyRequest(context, request, now()).then(
          () => expect.fail(`admitted ${what}`),
          (error) => expect(error, what).to.be.instanceOf(InvalidKeyRequestError).and.to.include({ rule, code: "INVALID_KEY_REQUEST" }),
        );
      }
    });

    it("admits a session key's request under its holder's delegation, and a grantee's under an access grant while the issuer holds Grant", async function () {
      const delegation = await signedDelegation({ expiresAt: Math.floor(now() / 1000) + 3600 });
      const context = createAuthorityContext(DOMAIN, holding([HOLDER], [ISSUER]));
      const bySession = await signKeyRequest(requestOf(), { signer: privateKeySigner(SESSION_KEY), domain: DOMAIN, delegation });
      expect((await checkKeyRequest(context, bySession, now())).request.requester).to.equal(HOLDER);
      const withoutDelegation = { ...bySession, delegation: undefined };
      delete withoutDelegation.delegation;
      await checkKeyRequest(context, withoutDelegation, now()).then(() => expect.fail("a session key signed alone"), (error) => expect(error).to.include({ rule: "signature" }));

      const grant = await signedGrant({ expiresAt: Math.floor(now() / 1000) + 3600 });
      const byGrantee = await signKeyRequest(requestOf({ requester: GRANTEE }), { signer: privateKeySigner(GRANTEE_KEY), domain: DOMAIN, grant });
      expect((await checkKeyRequest(context, byGrantee, now())).grantIssuer).to.equal(ISSUER);
      const issuerLost = createAuthorityContext(DOMAIN, holding([HOLDER]));
      await checkKeyRequest(issuerLost, byGrantee, now()).then(() => expect.fail("admitted after the issuer lost Grant"), (error) => expect(error).to.include({ rule: "unauthorized" }));
    });

    it("parseKeyRequest names what is wrong", function () {
      expect(() => parseKeyRequest({ ...requestOf(), signature: `0x${"ab".repeat(65)}`, delegation: {}, grant: {} })).to.throw(InvalidKeyRequestError, /not both/);
      expect(() => parseKeyRequest({ ...requestOf(), signature: "0x" })).to.throw(InvalidKeyRequestError, /signature/);
      expect(() => parseKeyRequest({ ...requestOf(), requester: HOLDER.toUpperCase(), signature: `0x${"ab".repeat(65)}` })).to.throw(InvalidKeyRequestError, /requester/);
    });
  });
});
