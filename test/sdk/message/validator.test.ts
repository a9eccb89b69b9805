import { expect } from "chai";
import { getAddress, type Hex } from "viem";
import { FOREVER, StreamPermission } from "../../../sdk/permissions";
import { InvalidArgumentError, RpcError } from "../../../sdk/errors";
import {
  createMessageValidator,
  createPublisher,
  hashStreamMessage,
  MessageRejectedError,
  signStreamMessage,
  type GapEvent,
  type MessageRejectionReason,
  type MessageValidatorOptions,
  type OutOfOrderEvent,
  type SignedStreamMessage,
} from "../../../sdk/message";
import { curveBackend } from "../../../sdk/message/crypto";
import type { RecoveryInput } from "../../../sdk/message/verify";
import { DOMAIN, fakePermissions, OTHER, OTHER_KEY, PUBLISHER, PUBLISHER_KEY, sampleMessage, STREAM_ID, T0 } from "./fixtures";

const NOW = T0 + 60_000;
const SKEW = 10_000;
/** The stream partition the tests subscribe to: where `chain()` publishes by default. */
const ON_STREAM = { streamId: STREAM_ID, partition: 0 };
const OTHER_STREAM_ID = `${PUBLISHER}/sensors/humidity`;

function setup(expiries: Record<string, number> = { [PUBLISHER]: FOREVER }, options: Partial<MessageValidatorOptions> = {}) {
  const permissions = fakePermissions(expiries, () => NOW);
  const gaps: GapEvent[] = [];
  const reorders: OutOfOrderEvent[] = [];
  const validator = createMessageValidator({
    domain: DOMAIN,
    permissions,
    maxClockSkewMs: SKEW,
    now: () => NOW,
    onGap: (gap) => gaps.push(gap),
    onOutOfOrder: (event) => reorders.push(event),
    ...options,
  });
  return { validator, permissions, gaps, reorders };
}

/** `count` messages of one chain, one millisecond apart from `start`. */
async function chain(
  count: number,
  { key = PUBLISHER_KEY, start = T0, msgChainId = "chain-a", streamId = STREAM_ID, partition = 0 } = {},
): Promise<SignedStreamMessage[]> {
  let time = start;
  const publisher = createPublisher({ streamId, partition, signer: key, domain: DOMAIN, msgChainId, now: () => time++ });
  const messages: SignedStreamMessage[] = [];
  for (let i = 0; i < count; i++) messages.push(await publisher.publish(new Uint8Array([i])));
  return messages;
}

async function expectRejected(promise: Promise<unknown>, reason: MessageRejectionReason): Promise<MessageRejectedError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(MessageRejectedError);
    expect((error as MessageRejectedError).reason).to.equal(reason);
    expect((error as MessageRejectedError).code).to.equal("MESSAGE_REJECTED");
    return error as MessageRejectedError;
  }
  return expect.fail(`accepted a message that should be rejected as ${reason}`);
}

describe("sdk/message MessageValidator", () => {
  it("accepts a message signed by a publisher holding Publish, asking for Publish with public allowed", async () => {
    const { validator, permissions, gaps, reorders } = setup();
    const [message] = await chain(1);
    expect(await validator.validate(message, ON_STREAM)).to.deep.equal(message);
    expect(permissions.queries).to.deep.equal([
      { streamId: STREAM_ID, userId: PUBLISHER, permission: StreamPermission.PUBLISH, allowPublic: true },
    ]);
    expect(gaps).to.be.empty;
    expect(reorders).to.be.empty;
  });

  it("rejects an unsigned message", async () => {
    const { validator } = setup();
    const [message] = await chain(1);
    const { signature: _, ...unsigned } = message;
    await expectRejected(validator.validate(unsigned, ON_STREAM), "unsigned");
    await expectRejected(validator.validate({ ...message, signature: "0x" }, ON_STREAM), "unsigned");
  });

  it("rejects a malformed message, keeping the field error as cause", async () => {
    const { validator } = setup();
    const [message] = await chain(1);
    const error = await expectRejected(validator.validate({ ...message, partition: -1 }, ON_STREAM), "malformed");
    expect(error.cause).to.include({ field: "partition" });
    await expectRejected(validator.validate("not a message", ON_STREAM), "malformed");
  });

  it("rejects a message signed by someone other than its publisher", async () => {
    const { validator } = setup({ [PUBLISHER]: FOREVER, [OTHER]: FOREVER });
    const [forged] = await chain(1, { key: OTHER_KEY });
    await expectRejected(validator.validate({ ...forged, publisher: PUBLISHER }, ON_STREAM), "invalid-signature");
  });

  it("rejects a publisher without Publish, and one whose Publish has expired", async () => {
    const [message] = await chain(1);
    await expectRejected(setup({}).validator.validate(message, ON_STREAM), "no-permission");
    await expectRejected(setup({ [PUBLISHER]: NOW / 1000 - 1 }).validator.validate(message, ON_STREAM), "no-permission");
    await expectRejected(setup({ [OTHER]: FOREVER }).validator.validate(message, ON_STREAM), "no-permission");
  });

  it("rejects a message timestamped at or after its publisher's Publish expiry (s vs ms)", async () => {
    const expiry = NOW / 1000 + 5; // held now, for 5 more seconds
    const { validator } = setup({ [PUBLISHER]: expiry });
    const [atExpiry] = await chain(1, { start: expiry * 1000 });
    const [justBefore] = await chain(1, { start: expiry * 1000 - 1, msgChainId: "chain-b" });
    await expectRejected(validator.validate(atExpiry, ON_STREAM), "timestamp-after-expiry");
    expect(await validator.validate(justBefore, ON_STREAM)).to.deep.equal(justBefore);
  });

  it("accepts a publisher allowed only through public Publish", async () => {
    const { validator } = setup({ public: FOREVER });
    const [message] = await chain(1, { key: OTHER_KEY });
    expect((await validator.validate(message, ON_STREAM)).publisher).to.equal(OTHER);
  });

  it("rejects a publisher once revoked", async () => {
    const { validator, permissions } = setup();
    const [first, second] = await chain(2);
    await validator.validate(first, ON_STREAM);
    delete permissions.expiries[PUBLISHER];
    await expectRejected(validator.validate(second, ON_STREAM), "no-permission");
  });

  it("rejects a timestamp beyond the allowed clock skew, accepts one at its edge", async () => {
    const { validator } = setup();
    const [tooFar] = await chain(1, { start: NOW + SKEW + 1 });
    const [atEdge] = await chain(1, { start: NOW + SKEW, msgChainId: "chain-b" });
    await expectRejected(validator.validate(tooFar, ON_STREAM), "future-timestamp");
    expect(await validator.validate(atEdge, ON_STREAM)).to.deep.equal(atEdge);
  });

  it("rejects duplicates, also two copies validated concurrently", async () => {
    const { validator } = setup();
    const [first, second] = await chain(2);
    await validator.validate(first, ON_STREAM);
    await expectRejected(validator.validate(first, ON_STREAM), "duplicate");
    const outcomes = await Promise.allSettled([validator.validate(second, ON_STREAM), validator.validate({ ...second }, ON_STREAM)]);
    expect(outcomes.map((o) => o.status).sort()).to.deep.equal(["fulfilled", "rejected"]);
    const rejected = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).to.be.instanceOf(MessageRejectedError).and.to.include({ reason: "duplicate" });
  });

  it("records a chain's messages validated concurrently in the order they came, whatever order their checks finish in", async () => {
    // The first message's permission answer comes last; with a window of 4, recording in
    // finishing order would move the window past it and refuse it as stale.
    const messages = await chain(10);
    const { permissions } = setup();
    let calls = 0;
    const slowFirst = { getPermissionExpiry: (query: Parameters<typeof permissions.getPermissionExpiry>[0]) => {
      const delay = calls++ === 0 ? 30 : 1;
      return new Promise<number>((resolve) => setTimeout(() => resolve(permissions.getPermissionExpiry(query)), delay));
    } };
    const { validator, gaps, reorders } = setup(undefined, { permissions: slowFirst, windowSize: 4 });
    const accepted = await Promise.all(messages.map((message) => validator.validate(message, ON_STREAM)));
    expect(accepted).to.deep.equal(messages);
    expect(gaps).to.be.empty;
    expect(reorders).to.be.empty;
    // A later message of the chain, proven at once, still waits for every earlier one.
    const [late] = await chain(1, { start: T0 + 100 });
    const order: string[] = [];
    calls = 0;
    const pending = validator.validate((await chain(1, { start: T0 + 50, msgChainId: "chain-a" }))[0], ON_STREAM).then(() => order.push("earlier"));
    await Promise.all([pending, validator.validate(late, ON_STREAM).then(() => order.push("later"))]);
    expect(order).to.deep.equal(["earlier", "later"]);
  });

  it("recovers keys with recoverPublicKey when given, and refuses what it does not recover as the publisher's", async () => {
    const [message, other] = await chain(2);
    const recovered: number[] = [];
    const recoverHere = async (input: RecoveryInput) => {
      recovered.push(input.recoveryId);
      return curveBackend().recoverPublicKey(input.digest, input.signature, input.recoveryId);
    };
    const { validator } = setup(undefined, { recoverPublicKey: recoverHere });
    expect(await validator.validate(message, ON_STREAM)).to.deep.equal(message);
    expect(recovered).to.have.length(1);
    const nobody = setup(undefined, { recoverPublicKey: async () => undefined }).validator;
    await expectRejected(nobody.validate(other, ON_STREAM), "invalid-signature");
    const [foreign] = await chain(1, { key: OTHER_KEY });
    const someoneElse = setup(undefined, { recoverPublicKey: (input) => recoverHere({ ...input, digest: hashStreamMessage(foreign, DOMAIN) }) }).validator;
    await expectRejected(someoneElse.validate(other, ON_STREAM), "invalid-signature");
  });

  it("rejects a replay signed for another chain id, or moved to another msgChainId", async () => {
    const { validator } = setup();
    const onOtherChain = await signStreamMessage(sampleMessage(), { signer: PUBLISHER_KEY, domain: { ...DOMAIN, chainId: 1 } });
    await expectRejected(validator.validate(onOtherChain, { ...ON_STREAM, partition: onOtherChain.partition }), "invalid-signature");
    const [message] = await chain(1);
    await validator.validate(message, ON_STREAM);
    await expectRejected(validator.validate({ ...message, msgChainId: "chain-b" }, ON_STREAM), "invalid-signature");
  });

  it("reports a gap, then the late message as out of order, and accepts both", async () => {
    const { validator, gaps, reorders } = setup();
    const [m1, m2, m3, m4] = await chain(4);
    await validator.validate(m1, ON_STREAM);
    await validator.validate(m2, ON_STREAM);
    await validator.validate(m4, ON_STREAM);
    const key = { streamId: STREAM_ID, partition: 0, publisher: PUBLISHER, msgChainId: "chain-a" };
    expect(gaps).to.deep.equal([{ ...key, from: { timestamp: m2.timestamp, sequenceNumber: 0 }, to: { timestamp: m3.timestamp, sequenceNumber: 0 } }]);
    expect(reorders).to.be.empty;
    await validator.validate(m3, ON_STREAM);
    expect(reorders).to.deep.equal([{ ...key, message: { timestamp: m3.timestamp, sequenceNumber: 0 }, newest: { timestamp: m4.timestamp, sequenceNumber: 0 } }]);
    expect(gaps).to.have.length(1);
    await expectRejected(validator.validate(m3, ON_STREAM), "duplicate");
  });

  it("reports no gap for the first message seen of a chain that started earlier", async () => {
    const { validator, gaps } = setup();
    const messages = await chain(3);
    await validator.validate(messages[2], ON_STREAM);
    expect(gaps).to.be.empty;
  });

  it("keeps chains apart: same positions in other chains are not duplicates", async () => {
    const { validator } = setup({ [PUBLISHER]: FOREVER, [OTHER]: FOREVER });
    const [a] = await chain(1);
    const [b] = await chain(1, { msgChainId: "chain-b" });
    const [c] = await chain(1, { key: OTHER_KEY });
    for (const message of [a, b, c]) await validator.validate(message, ON_STREAM);
  });

  it("leaves no trace of a rejected message: the genuine one at that position is accepted afterwards", async () => {
    const { validator } = setup({ [PUBLISHER]: FOREVER });
    const [genuine] = await chain(1);
    await expectRejected(validator.validate({ ...genuine, content: "0x99" as Hex }, ON_STREAM), "invalid-signature");
    expect(await validator.validate(genuine, ON_STREAM)).to.deep.equal(genuine);
  });

  it("bounds memory per chain: positions older than the window are stale", async () => {
    const { validator } = setup(undefined, { windowSize: 2 });
    const [m1, m2, m3, m4] = await chain(4);
    await validator.validate(m2, ON_STREAM);
    await validator.validate(m3, ON_STREAM);
    await validator.validate(m4, ON_STREAM); // m2 leaves the window
    await expectRejected(validator.validate(m2, ON_STREAM), "stale");
    await expectRejected(validator.validate(m1, ON_STREAM), "stale");
    await expectRejected(validator.validate(m3, ON_STREAM), "duplicate");
  });

  it("bounds the number of chains tracked, forgetting the least recently used", async () => {
    const { validator } = setup(undefined, { maxChains: 2 });
    const [a1, a2] = await chain(2, { msgChainId: "a" });
    const [b1] = await chain(1, { msgChainId: "b" });
    const [c1] = await chain(1, { msgChainId: "c" });
    await validator.validate(a1, ON_STREAM);
    await validator.validate(b1, ON_STREAM);
    await validator.validate(a2, ON_STREAM); // a is now the most recently used
    await validator.validate(c1, ON_STREAM); // forgets b
    await expectRejected(validator.validate(a2, ON_STREAM), "duplicate");
    await expectRejected(validator.validate(c1, ON_STREAM), "duplicate");
    expect(await validator.validate(b1, ON_STREAM)).to.deep.equal(b1); // b was forgotten: its chain starts afresh
  });

  it("live (maxMessageAgeMs, a relay): a message dated more than maxMessageAgeMs behind the clock is stale; one just inside is taken", async () => {
    const { validator } = setup(undefined, { maxMessageAgeMs: 30_000 });
    const [ancient] = await chain(1, { msgChainId: "ancient", start: 1 });
    const [hourOld] = await chain(1, { msgChainId: "hour", start: NOW - 3_600_000 });
    const [justOut] = await chain(1, { msgChainId: "out", start: NOW - 30_001 });
    const [justIn] = await chain(1, { msgChainId: "in", start: NOW - 30_000 });
    for (const old of [ancient, hourOld, justOut]) await expectRejected(validator.validate(old, ON_STREAM), "stale");
    expect(await validator.validate(justIn, ON_STREAM)).to.deep.equal(justIn);
    // A subscriber's validator (no maxMessageAgeMs) takes history of any age.
    expect(await setup().validator.validate(hourOld, ON_STREAM)).to.deep.equal(hourOld);
  });

  it("live: a publisher flooding chains dated ahead gets no other publisher refused; the other's forgotten messages stay stale", async () => {
    const { validator } = setup({ [PUBLISHER]: FOREVER, [OTHER]: FOREVER }, { maxChains: 2, maxMessageAgeMs: 30_000 });
    const [v1, v2, v3] = await chain(3, { msgChainId: "victim", start: NOW - 100 });
    await validator.validate(v1, ON_STREAM);
    await validator.validate(v2, ON_STREAM);
    // The attacker's own chains, each new, dated 9 s ahead (inside the skew): the victim's chain is forgotten.
    for (let i = 0; i < 4; i++) {
      const [flood] = await chain(1, { key: OTHER_KEY, msgChainId: `flood-${i}`, start: NOW + 9_000 + i });
      await validator.validate(flood, ON_STREAM);
    }
    await expectRejected(validator.validate(v2, ON_STREAM), "stale"); // the replay the flood was for
    await expectRejected(validator.validate(v1, ON_STREAM), "stale");
    expect(await validator.validate(v3, ON_STREAM)).to.deep.equal(v3); // the victim's next, on its chain
    await expectRejected(validator.validate(v2, ON_STREAM), "stale"); // its chain, tracked afresh, keeps the horizon as its floor
    const [fresh] = await chain(1, { msgChainId: "victim-2", start: NOW });
    expect(await validator.validate(fresh, ON_STREAM)).to.deep.equal(fresh); // and on a new chain
    // The attacker's horizon is its own: its new chain dated before its forgotten ones is stale.
    const [attackerLate] = await chain(1, { key: OTHER_KEY, msgChainId: "late", start: NOW + 8_000 });
    await expectRejected(validator.validate(attackerLate, ON_STREAM), "stale");
    // Without maxMessageAgeMs (a subscriber, whose resumes replay history), a forgotten chain starts afresh.
    const { validator: subscriberSide } = setup(undefined, { maxChains: 1 });
    for (const message of [v1, fresh]) await subscriberSide.validate(message, ON_STREAM);
    expect(await subscriberSide.validate(v1, ON_STREAM)).to.deep.equal(v1);
  });

  it("live: forgets a publisher's horizon once behind maxMessageAgeMs, and beyond maxForgottenPublishers the first forgotten; no other publisher is refused for it", async () => {
    let clock = NOW;
    const expiries = { [PUBLISHER]: FOREVER, [OTHER]: FOREVER };
    const { validator } = setup(expiries, { maxChains: 1, maxMessageAgeMs: 30_000, maxForgottenPublishers: 1, now: () => clock });
    const [v1, v2] = await chain(2, { msgChainId: "victim", start: NOW });
    const [o1] = await chain(1, { key: OTHER_KEY, msgChainId: "other", start: NOW + 5 });
    await validator.validate(v1, ON_STREAM);
    await validator.validate(o1, ON_STREAM); // forgets the victim's chain: its horizon is v1
    await expectRejected(validator.validate(v1, ON_STREAM), "stale");
    const [o2] = await chain(1, { key: OTHER_KEY, msgChainId: "other-2", start: NOW + 6 });
    await validator.validate(o2, ON_STREAM); // forgets OTHER's first chain: the victim's horizon makes room
    // A publisher's horizon only ever refuses that publisher: at the cap one is dropped (its replays within the window are no longer refused), none shared.
    expect(await validator.validate(v2, ON_STREAM)).to.deep.equal(v2); // not refused for OTHER's horizon
    await expectRejected(validator.validate(o1, ON_STREAM), "stale");
    // Past the window, the freshness check refuses what the horizon did.
    clock = NOW + 30_010;
    await expectRejected(validator.validate(o1, ON_STREAM), "stale");
  });

  it("rejects a valid message of another stream or partition as wrong-stream, before asking for permissions", async () => {
    const { validator, permissions } = setup();
    const [elsewhere] = await chain(1, { streamId: OTHER_STREAM_ID });
    const [otherPartition] = await chain(1, { partition: 1 });
    await expectRejected(validator.validate(elsewhere, ON_STREAM), "wrong-stream");
    await expectRejected(validator.validate(otherPartition, ON_STREAM), "wrong-stream");
    // The path is case-sensitive: only the address part is normalised.
    await expectRejected(validator.validate(elsewhere, { streamId: OTHER_STREAM_ID.toUpperCase().replace(/^0X/, "0x"), partition: 0 }), "wrong-stream");
    expect(permissions.queries).to.be.empty;
    // Nothing was recorded: on their own stream partitions both are accepted.
    expect(await validator.validate(elsewhere, { streamId: OTHER_STREAM_ID, partition: 0 })).to.deep.equal(elsewhere);
    expect(await validator.validate(otherPartition, { ...ON_STREAM, partition: 1 })).to.deep.equal(otherPartition);
  });

  it("compares the expected stream id after normalising its address part", async () => {
    const { validator } = setup();
    const [message] = await chain(1);
    const checksummed = `${getAddress(PUBLISHER)}/sensors/temperature`;
    expect(checksummed).to.not.equal(STREAM_ID);
    expect(await validator.validate(message, { streamId: checksummed, partition: 0 })).to.deep.equal(message);
  });

  it("rejects a call without a valid expected stream partition with InvalidArgumentError", async () => {
    const { validator, permissions } = setup();
    const [message] = await chain(1);
    const validate = validator.validate as (message: unknown, expected?: unknown) => Promise<SignedStreamMessage>;
    for (const bad of [undefined, null, STREAM_ID, {}, { streamId: STREAM_ID }, { partition: 0 }, { streamId: 42, partition: 0 },
      { streamId: "sensors/temperature", partition: 0 }, { streamId: STREAM_ID, partition: -1 }, { streamId: STREAM_ID, partition: 1.5 },
      { streamId: STREAM_ID, partition: 2 ** 32 }, { streamId: STREAM_ID, partition: "0" }]) {
      try {
        await validate(message, bad);
        expect.fail(`validated with ${JSON.stringify(bad)}`);
      } catch (error) {
        expect(error, JSON.stringify(bad)).to.be.instanceOf(InvalidArgumentError);
      }
    }
    expect(permissions.queries).to.be.empty;
    expect(await validator.validate(message, ON_STREAM)).to.deep.equal(message); // nothing recorded
  });

  it("keeps the same publisher and msgChainId on two streams or partitions apart: three chains", async () => {
    const { validator, gaps } = setup();
    const [a1, , a3] = await chain(3);
    const [b1, , b3] = await chain(3, { streamId: OTHER_STREAM_ID });
    const [c1, , c3] = await chain(3, { partition: 1 });
    expect([a1.msgChainId, a1.timestamp]).to.deep.equal([b1.msgChainId, b1.timestamp]).and.to.deep.equal([c1.msgChainId, c1.timestamp]);
    const onB = { streamId: OTHER_STREAM_ID, partition: 0 };
    const onC = { ...ON_STREAM, partition: 1 };
    await validator.validate(a1, ON_STREAM);
    expect(await validator.validate(b1, onB)).to.deep.equal(b1); // not a duplicate of a1
    expect(await validator.validate(c1, onC)).to.deep.equal(c1);
    await validator.validate(b3, onB);
    expect(gaps.map((gap) => [gap.streamId, gap.partition])).to.deep.equal([[OTHER_STREAM_ID, 0]]);
    await validator.validate(a3, ON_STREAM);
    await validator.validate(c3, onC);
    expect(gaps.map((gap) => [gap.streamId, gap.partition])).to.deep.equal([[OTHER_STREAM_ID, 0], [STREAM_ID, 0], [STREAM_ID, 1]]);
    await expectRejected(validator.validate(b1, onB), "duplicate");
  });

  it("rejects bad options with typed errors", () => {
    const permissions = fakePermissions();
    for (const bad of [{ windowSize: 0 }, { maxChains: 1.5 }, { maxClockSkewMs: -1 }, { maxMessageAgeMs: 0 }, { maxForgottenPublishers: 0 }, { domain: { ...DOMAIN, chainId: 0 } }, { domain: { ...DOMAIN, verifyingContract: "0x12" as const } }]) {
      expect(() => createMessageValidator({ domain: DOMAIN, permissions, ...bad }), JSON.stringify(bad)).to.throw(InvalidArgumentError);
    }
  });

  it("passes errors of the permission source through: they say nothing about the message", async () => {
    const failure = new RpcError("node down");
    const validator = createMessageValidator({
      domain: DOMAIN,
      permissions: { getPermissionExpiry: () => Promise.reject(failure) },
      now: () => NOW,
    });
    const [message] = await chain(1);
    try {
      await validator.validate(message, ON_STREAM);
      expect.fail("validated without permissions");
    } catch (error) {
      expect(error).to.equal(failure);
    }
  });
});
