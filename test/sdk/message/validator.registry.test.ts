import { expect } from "chai";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { StreamPermission, type Deployment, type KeywayClient } from "../../../sdk";
import {
  createMessageValidator,
  createPublisher,
  MessageRejectedError,
  type MessageDomain,
  type MessageRejectionReason,
  type MessageValidator,
  type StreamPartition,
} from "../../../sdk/message";
import { chainNow, clientOf, deployFresh, destroyClients, KEYS } from "../fixtures";

const [OWNER_KEY, BOB_KEY, CAROL_KEY] = KEYS;
const BOB = privateKeyToAddress(BOB_KEY).toLowerCase();

/** Retries `check` until it stops throwing: the subscriber's cache sees registry events one poll later. */
async function eventually(check: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function rejectionReason(validator: MessageValidator, message: unknown, expected: StreamPartition): Promise<MessageRejectionReason> {
  try {
    await validator.validate(message, expected);
  } catch (error) {
    expect(error).to.be.instanceOf(MessageRejectedError);
    return (error as MessageRejectedError).reason;
  }
  return expect.fail("accepted the message");
}

describe("MessageValidator with KeywayClient on the in-process registry", () => {
  let deployment: Deployment;
  let owner: KeywayClient;
  let subscriber: KeywayClient;
  let domain: MessageDomain;
  let streamId: string;
  let validator: MessageValidator;
  /** Unix ms for publishers and the validator. */
  let now: () => number;
  const publisherOf = (signer: Hex) => createPublisher({ streamId, signer, domain, now });
  const onStream = (): StreamPartition => ({ streamId, partition: 0 });

  before(async () => {
    deployment = await deployFresh();
    owner = clientOf(deployment, 0);
    subscriber = clientOf(deployment, undefined); // read-only, cached
    streamId = (await owner.createStream("/messages/e2e")).id;
    domain = { chainId: await subscriber.getChainId(), verifyingContract: subscriber.registryAddress as Address };
    // The later of the local and the chain clock: grants check expiries against the local one,
    // reads against the chain's, which other tests may have moved ahead.
    const offsetMs = Math.max(0, (await chainNow()) * 1000 - Date.now());
    now = () => Date.now() + offsetMs;
    validator = createMessageValidator({ domain, permissions: subscriber, now });
  });
  after(destroyClients);

  it("accepts the creator's messages and rejects a stranger's", async () => {
    const message = await publisherOf(OWNER_KEY).publish("0x01");
    expect(await validator.validate(message, onStream())).to.deep.equal(message);
    expect(await rejectionReason(validator, await publisherOf(BOB_KEY).publish("0x02"), onStream())).to.equal("no-permission");
  });

  it("rejects a message of a stream its publisher may publish on when validating for another stream", async () => {
    const bob = clientOf(deployment, 1);
    const bobsStream = (await bob.createStream("/messages/elsewhere")).id;
    const message = await createPublisher({ streamId: bobsStream, signer: BOB_KEY, domain, now }).publish("0x09");
    expect(await rejectionReason(validator, message, onStream())).to.equal("wrong-stream");
    expect(await validator.validate(message, { streamId: bobsStream, partition: 0 })).to.deep.equal(message);
  });

  it("rejects messages signed for another registry", async () => {
    const elsewhere = createPublisher({ streamId, signer: OWNER_KEY, domain: { ...domain, verifyingContract: BOB as Address }, now });
    expect(await rejectionReason(validator, await elsewhere.publish("0x03"), onStream())).to.equal("invalid-signature");
  });

  it("honours a timed grant: messages before its expiry pass, at or after it are rejected", async () => {
    const expiry = Math.floor(now() / 1000) + 8; // within the 10 s skew, so a message can be timestamped at it
    await owner.grantPermissions(streamId, { userId: BOB, permissions: [StreamPermission.PUBLISH], expiresAt: { publish: new Date(expiry * 1000) } });
    const bob = publisherOf(BOB_KEY);
    await eventually(async () => {
      expect(await subscriber.getPermissionExpiry({ streamId, userId: BOB, permission: StreamPermission.PUBLISH, allowPublic: true })).to.equal(expiry);
    });
    const inTime = await bob.publish("0x04");
    expect(await validator.validate(inTime, onStream())).to.deep.equal(inTime);
    const late = await createPublisher({ streamId, signer: BOB_KEY, domain, now: () => expiry * 1000 }).publish("0x05");
    expect(await rejectionReason(validator, late, onStream())).to.equal("timestamp-after-expiry");
  });

  it("accepts anyone while Publish is public, and no longer once it is revoked", async () => {
    const carol = publisherOf(CAROL_KEY);
    expect(await rejectionReason(validator, await carol.publish("0x06"), onStream())).to.equal("no-permission");
    await owner.grantPermissions(streamId, { public: true, permissions: [StreamPermission.PUBLISH] });
    await eventually(async () => {
      const message = await carol.publish("0x07");
      expect(await validator.validate(message, onStream())).to.deep.equal(message);
    });
    await owner.revokePermissions(streamId, { public: true, permissions: [StreamPermission.PUBLISH] });
    await eventually(async () => {
      expect(await rejectionReason(validator, await carol.publish("0x08"), onStream())).to.equal("no-permission");
    });
  });
});
