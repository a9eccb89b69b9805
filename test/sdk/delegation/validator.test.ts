import { expect } from "chai";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  createMessageValidator,
  delegationTypedData,
  FOREVER,
  InvalidAccessGrantError,
  InvalidDelegationError,
  MessageRejectedError,
  PUBLISH_BIT,
  StreamPermission,
  SUBSCRIBE_BIT,
  type AuthorityRule,
  type MessageRejectionReason,
  type PermissionSource,
  type SignedStreamMessage,
} from "../../../sdk";
import {
  delegationOf,
  DOMAIN,
  EXPIRES,
  grantOf,
  GRANTEE,
  GRANTEE_KEY,
  HOLDER,
  HOLDER_KEY,
  ISSUER,
  messagesOf,
  OTHER_STREAM,
  permissionTable,
  SESSION,
  SESSION_KEY,
  signedDelegation,
  signedGrant,
  STRANGER,
  STRANGER_KEY,
  STREAM_ID,
  T0,
} from "./fixtures";

const NOW = T0 + 60_000;
const HOLDER_PUBLISHES = { [`${HOLDER}:publish`]: FOREVER };
const ISSUER_GRANTS = { [`${ISSUER}:grant`]: FOREVER };

/** A validator for subscribers of each message's own stream partition (wrong-stream is h3's rule, tested there). */
function validatorOf(permissions: PermissionSource) {
  const validator = createMessageValidator({ domain: DOMAIN, permissions, now: () => NOW });
  return { validate: (message: SignedStreamMessage & Record<string, unknown>) => validator.validate(message, message) };
}

async function expectRejected(promise: Promise<unknown>, reason: MessageRejectionReason, rule?: AuthorityRule): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(MessageRejectedError);
    expect((error as MessageRejectedError).reason).to.equal(reason);
    if (rule !== undefined) {
      const cause = (error as MessageRejectedError).cause;
      expect(cause).to.be.instanceOf(reason === "invalid-grant" ? InvalidAccessGrantError : InvalidDelegationError);
      expect((cause as InvalidDelegationError).rule).to.equal(rule);
    }
    return;
  }
  expect.fail(`accepted a message that should be rejected as ${reason}`);
}

/** One message signed by the session key as the holder, carrying `delegation`. */
const delegated = async (delegation: unknown, options: { streamId?: string; key?: Hex; start?: number } = {}) =>
  (await messagesOf(1, { key: options.key ?? SESSION_KEY, publisher: HOLDER, streamId: options.streamId, start: options.start }))
    .map((message) => ({ ...message, delegation }))[0];

/** One message published by `key`'s account, carrying `grant`. */
const granted = async (grant: unknown, { key = GRANTEE_KEY, publisher = GRANTEE, streamId = STREAM_ID } = {}) =>
  (await messagesOf(1, { key, publisher, streamId }))
    .map((message) => ({ ...message, grant }))[0];

describe("MessageValidator: messages carrying a delegation or a grant", () => {
  describe("delegation (session key)", () => {
    it("accepts a message signed by the delegate naming the holder, asking only the holder's Publish", async () => {
      const permissions = permissionTable(HOLDER_PUBLISHES);
      const delegation = await signedDelegation();
      const messages = await messagesOf(3, { key: SESSION_KEY, publisher: HOLDER, extra: { delegation } });
      const validator = validatorOf(permissions);
      for (const message of messages) expect(await validator.validate(JSON.parse(JSON.stringify(message)))).to.deep.equal(message);
      expect(permissions.queries).to.deep.equal(
        messages.map(() => ({ streamId: STREAM_ID, userId: HOLDER, permission: StreamPermission.PUBLISH, allowPublic: true })),
      );
    });

    it("accepts a message timestamped before the delegation's expiry after it has passed (history stays verifiable)", async () => {
      const delegation = await signedDelegation({ expiresAt: T0 / 1000 + 1 });
      expect(NOW).to.be.greaterThan(delegation.expiresAt * 1000);
      await validatorOf(permissionTable(HOLDER_PUBLISHES)).validate(await delegated(delegation));
    });

    it("rejects a message timestamped at or after the delegation's expiry", async () => {
      await expectRejected(validatorOf(permissionTable(HOLDER_PUBLISHES)).validate(await delegated(await signedDelegation({ expiresAt: T0 / 1000 }))), "invalid-delegation", "expired");
    });

    it("rejects a stream the delegation does not list", async () => {
      const permissions = permissionTable({ ...HOLDER_PUBLISHES });
      const message = await delegated(await signedDelegation(), { streamId: OTHER_STREAM });
      await expectRejected(validatorOf(permissions).validate(message), "invalid-delegation", "stream");
      expect(permissions.queries).to.be.empty;
    });

    it("rejects a delegation without the Publish bit", async () => {
      const message = await delegated(await signedDelegation({ permissions: SUBSCRIBE_BIT }));
      await expectRejected(validatorOf(permissionTable(HOLDER_PUBLISHES)).validate(message), "invalid-delegation", "permission");
    });

    it("rejects a signed delegation with a permission bit other than Publish or Subscribe", async () => {
      const unsigned = delegationOf({ permissions: PUBLISH_BIT | (1 << 4) });
      const signature = await privateKeyToAccount(HOLDER_KEY).signTypedData(delegationTypedData(unsigned, DOMAIN));
      await expectRejected(validatorOf(permissionTable(HOLDER_PUBLISHES)).validate(await delegated({ ...unsigned, signature })), "invalid-delegation", "malformed");
    });

    it("rejects a delegation signed for another chain or another registry", async () => {
      for (const domain of [{ ...DOMAIN, chainId: 1 }, { ...DOMAIN, verifyingContract: "0x0000000000000000000000000000000000000001" as const }]) {
        const message = await delegated(await signedDelegation({}, HOLDER_KEY, domain));
        await expectRejected(validatorOf(permissionTable(HOLDER_PUBLISHES)).validate(message), "invalid-delegation", "signature");
      }
    });

    it("rejects a tampered delegation and a delegation signed by someone other than the publisher", async () => {
      const delegation = await signedDelegation();
      for (const tampered of [{ ...delegation, expiresAt: delegation.expiresAt + 1 }, { ...delegation, streamIds: [STREAM_ID, OTHER_STREAM] }]) {
        await expectRejected(validatorOf(permissionTable(HOLDER_PUBLISHES)).validate(await delegated(tampered)), "invalid-delegation", "signature");
      }
      const permissions = permissionTable({ ...HOLDER_PUBLISHES, [`${STRANGER}:publish`]: FOREVER });
      await expectRejected(validatorOf(permissions).validate(await delegated(await signedDelegation({}, STRANGER_KEY))), "invalid-delegation", "signature");
    });

    it("rejects a message not signed by the delegate, or tampered with", async () => {
      const delegation = await signedDelegation();
      await expectRejected(validatorOf(permissionTable(HOLDER_PUBLISHES)).validate(await delegated(delegation, { key: STRANGER_KEY })), "invalid-signature");
      const message = await delegated(delegation);
      await expectRejected(validatorOf(permissionTable(HOLDER_PUBLISHES)).validate({ ...message, content: "0x99" }), "invalid-signature");
    });

    it("rejects when the holder does not hold Publish now, or it expires before the message", async () => {
      const message = await delegated(await signedDelegation());
      await expectRejected(validatorOf(permissionTable({})).validate(message), "invalid-delegation", "revoked");
      await expectRejected(validatorOf(permissionTable({ [`${HOLDER}:publish`]: T0 / 1000 })).validate(message), "invalid-delegation", "revoked");
      await validatorOf(permissionTable({ [`${HOLDER}:publish`]: T0 / 1000 + 1 })).validate(message);
      await validatorOf(permissionTable({ "public:publish": FOREVER })).validate(message);
    });

    it("judges a message by its delegation alone, even when its signer holds Publish directly", async () => {
      const permissions = permissionTable({ ...HOLDER_PUBLISHES, [`${SESSION}:publish`]: FOREVER });
      const expired = await signedDelegation({ delegate: HOLDER, expiresAt: T0 / 1000 });
      const [byHolder] = await messagesOf(1, { key: HOLDER_KEY, publisher: HOLDER });
      await expectRejected(validatorOf(permissions).validate({ ...byHolder, delegation: expired }), "invalid-delegation", "expired");
      await expectRejected(validatorOf(permissions).validate({ ...byHolder, delegation: await signedDelegation() }), "invalid-signature");
      await expectRejected(validatorOf(permissions).validate({ ...byHolder, delegation: null }), "invalid-delegation", "malformed");
    });

    it("leaves no trace of a rejected message: the same position is accepted afterwards with a valid delegation", async () => {
      const validator = validatorOf(permissionTable(HOLDER_PUBLISHES));
      const [message] = await messagesOf(1, { key: SESSION_KEY, publisher: HOLDER });
      await expectRejected(validator.validate({ ...message, delegation: await signedDelegation({ permissions: SUBSCRIBE_BIT }) }), "invalid-delegation");
      await validator.validate({ ...message, delegation: await signedDelegation() });
      await expectRejected(validator.validate({ ...message, delegation: await signedDelegation() }), "duplicate");
    });

    it("rejects a message that carries both a delegation and a grant as malformed", async () => {
      const message = await delegated(await signedDelegation());
      await expectRejected(validatorOf(permissionTable({ ...HOLDER_PUBLISHES, ...ISSUER_GRANTS })).validate({ ...message, grant: await signedGrant() }), "malformed");
    });
  });

  describe("grant", () => {
    it("accepts a message published by the grantee, asking only the issuer's Grant", async () => {
      const permissions = permissionTable(ISSUER_GRANTS);
      const grant = await signedGrant();
      const message = await granted(grant);
      expect(await validatorOf(permissions).validate(JSON.parse(JSON.stringify(message)))).to.deep.equal(message);
      expect(permissions.queries).to.deep.equal([{ streamId: STREAM_ID, userId: ISSUER, permission: StreamPermission.GRANT, allowPublic: false }]);
    });

    it("rejects a grant presented by someone other than its grantee", async () => {
      const permissions = permissionTable({ ...ISSUER_GRANTS, [`${STRANGER}:publish`]: FOREVER });
      await expectRejected(validatorOf(permissions).validate(await granted(await signedGrant(), { key: STRANGER_KEY, publisher: STRANGER })), "invalid-grant", "grantee");
    });

    it("rejects the wrong stream, a grant without Publish, an expired grant", async () => {
      const validator = () => validatorOf(permissionTable(ISSUER_GRANTS));
      await expectRejected(validator().validate(await granted(await signedGrant(), { streamId: OTHER_STREAM })), "invalid-grant", "stream");
      await expectRejected(validator().validate(await granted(await signedGrant({ permissions: SUBSCRIBE_BIT }))), "invalid-grant", "permission");
      await expectRejected(validator().validate(await granted(await signedGrant({ expiresAt: T0 / 1000 }))), "invalid-grant", "expired");
      await validator().validate(await granted(await signedGrant({ expiresAt: T0 / 1000 + 1 })));
    });

    it("rejects a grant for another chain or registry, a tampered grant, another issuer named", async () => {
      const validator = () => validatorOf(permissionTable({ ...ISSUER_GRANTS, [`${HOLDER}:grant`]: FOREVER }));
      await expectRejected(validator().validate(await granted(await signedGrant({}, undefined, { ...DOMAIN, chainId: 1 }))), "invalid-grant", "signature");
      await expectRejected(validator().validate(await granted(await signedGrant({}, undefined, { ...DOMAIN, verifyingContract: "0x0000000000000000000000000000000000000001" }))), "invalid-grant", "signature");
      const grant = await signedGrant();
      await expectRejected(validator().validate(await granted({ ...grant, expiresAt: EXPIRES + 1 })), "invalid-grant", "signature");
      await expectRejected(validator().validate(await granted({ ...grant, issuer: HOLDER })), "invalid-grant", "signature");
    });

    it("rejects when the issuer does not hold Grant now, or it expires before the message; public Publish does not count", async () => {
      const message = await granted(await signedGrant());
      await expectRejected(validatorOf(permissionTable({ "public:publish": FOREVER, [`${ISSUER}:publish`]: FOREVER })).validate(message), "invalid-grant", "revoked");
      await expectRejected(validatorOf(permissionTable({ [`${ISSUER}:grant`]: T0 / 1000 })).validate(message), "invalid-grant", "revoked");
    });

    it("judges a message by its grant alone, even when the grantee holds Publish directly", async () => {
      const permissions = permissionTable({ [`${GRANTEE}:publish`]: FOREVER });
      await expectRejected(validatorOf(permissions).validate(await granted(await signedGrant())), "invalid-grant", "revoked");
      await expectRejected(validatorOf(permissions).validate(await granted(grantOf())), "invalid-grant", "malformed");
    });

    it("rejects a message not signed by its publisher", async () => {
      const [message] = await messagesOf(1, { key: STRANGER_KEY, publisher: GRANTEE });
      await expectRejected(validatorOf(permissionTable(ISSUER_GRANTS)).validate({ ...message, grant: await signedGrant() }), "invalid-signature");
    });
  });
});
