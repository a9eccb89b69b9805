import { expect } from "chai";
import fc from "fast-check";
import { chainKeyOf, createChainTracker, MAX_SPAN_MS, type ChainOutcome } from "../../../sdk/message/chains";
import type { MessageRef, StreamMessage } from "../../../sdk/message";
import { measureFullTracker, MAX_DEFAULT_TRACKER_MIB } from "../../../scripts/bench/messagesMemory";
import { sampleMessage, T0 } from "./fixtures";

const at = (timestamp: number, sequenceNumber = 0, prev?: MessageRef): StreamMessage =>
  sampleMessage({ timestamp, sequenceNumber, prevTimestamp: prev?.timestamp ?? 0, prevSequenceNumber: prev?.sequenceNumber ?? 0 });
const KEY = chainKeyOf(sampleMessage());

/**
 * The tracker's rules stated plainly, over an array of positions: what the compact
 * representation must answer for any sequence of messages.
 */
function referenceTracker(windowSize: number) {
  let refs: MessageRef[] = [];
  let floor: MessageRef | undefined;
  const compare = (a: MessageRef, b: MessageRef) => (a.timestamp !== b.timestamp ? a.timestamp - b.timestamp : a.sequenceNumber - b.sequenceNumber);
  /** A forgotten position is simply no longer remembered; the floor does not move. */
  const forget = (ref: MessageRef) => (refs = refs.filter((known) => compare(known, ref) !== 0));
  return Object.assign((ref: MessageRef): ChainOutcome["kind"] => {
    const newest = refs.at(-1);
    if (floor !== undefined && compare(ref, floor) <= 0) return "stale";
    if (newest !== undefined && newest.timestamp - ref.timestamp > MAX_SPAN_MS) return "stale";
    if (refs.some((known) => compare(known, ref) === 0)) return "duplicate";
    refs = [...refs, ref].sort(compare);
    const forgotten = refs.filter((known) => known.timestamp < refs.at(-1)!.timestamp - MAX_SPAN_MS);
    if (refs.length - forgotten.length > windowSize) forgotten.push(refs[forgotten.length]);
    if (forgotten.length > 0) floor = forgotten.at(-1);
    refs = refs.slice(forgotten.length);
    return "accepted";
  }, { forget });
}

describe("sdk/message chain tracker", () => {
  it("answers like the plain rules for random positions, reordered, repeated and far apart", () => {
    const timestamp = fc.oneof(
      fc.integer({ min: T0, max: T0 + 40 }),
      fc.constantFrom(T0 - MAX_SPAN_MS, T0 - MAX_SPAN_MS - 1, T0 + MAX_SPAN_MS, T0 + MAX_SPAN_MS + 1, T0 + 2 * MAX_SPAN_MS + 3),
    );
    const position = fc.record({ timestamp, sequenceNumber: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(2 ** 32 - 1)) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(position, { maxLength: 60 }), (windowSize, positions) => {
        const tracker = createChainTracker({ windowSize, maxChains: 4 });
        const reference = referenceTracker(windowSize);
        for (const ref of positions) {
          const message = at(ref.timestamp, ref.sequenceNumber);
          const expected = reference(ref);
          expect(tracker.check(KEY, message), JSON.stringify(ref)).to.equal(expected);
          expect(tracker.record(KEY, message).kind, JSON.stringify(ref)).to.equal(expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("forgets a recorded position (a relay whose broker refused the message): the same message is accepted again, the floor stays", () => {
    const timestamp = fc.oneof(fc.integer({ min: T0, max: T0 + 40 }), fc.constantFrom(T0 - MAX_SPAN_MS - 1, T0 + MAX_SPAN_MS + 1));
    const step = fc.record({ timestamp, sequenceNumber: fc.integer({ min: 0, max: 3 }), forget: fc.boolean() });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(step, { maxLength: 60 }), (windowSize, steps) => {
        const tracker = createChainTracker({ windowSize, maxChains: 4 });
        const reference = referenceTracker(windowSize);
        for (const { forget, ...ref } of steps) {
          const message = at(ref.timestamp, ref.sequenceNumber);
          const expected = reference(ref);
          expect(tracker.record(KEY, message).kind, JSON.stringify(ref)).to.equal(expected);
          if (forget && expected === "accepted") {
            tracker.forget(KEY, ref);
            reference.forget(ref);
            // No longer a duplicate; stale only if the window had already dropped it to its floor.
            expect(tracker.check(KEY, message), `again after forget: ${JSON.stringify(ref)}`).to.not.equal("duplicate");
          }
        }
      }),
      { numRuns: 300 },
    );
    // Forgetting the only position keeps the floor: what was dropped stays stale.
    const tracker = createChainTracker({ windowSize: 1, maxChains: 1 });
    tracker.record(KEY, at(T0));
    tracker.record(KEY, at(T0 + 1));
    tracker.forget(KEY, { timestamp: T0 + 1, sequenceNumber: 0 });
    expect(tracker.check(KEY, at(T0))).to.equal("stale");
    expect(tracker.record(KEY, at(T0 + 1)).kind).to.equal("accepted");
    expect(tracker.check(KEY, at(T0 + 1))).to.equal("duplicate");
    tracker.forget(KEY, { timestamp: T0 + 9, sequenceNumber: 0 }); // never recorded: nothing changes
    expect(tracker.check(KEY, at(T0 + 1))).to.equal("duplicate");
  });

  it("treats a message more than MAX_SPAN_MS behind its chain's newest as stale", () => {
    const tracker = createChainTracker({ windowSize: 8, maxChains: 1 });
    tracker.record(KEY, at(T0));
    expect(tracker.record(KEY, at(T0 - MAX_SPAN_MS - 1)).kind).to.equal("stale");
    expect(tracker.record(KEY, at(T0 - MAX_SPAN_MS)).kind).to.equal("accepted");
    expect(tracker.record(KEY, at(T0 - MAX_SPAN_MS)).kind).to.equal("duplicate");
    // A jump ahead by more than the span forgets what falls behind it, and only that.
    expect(tracker.record(KEY, at(T0 + 1)).kind).to.equal("accepted");
    expect(tracker.record(KEY, at(T0 + MAX_SPAN_MS + 1, 5, { timestamp: T0 + 1, sequenceNumber: 0 })).kind).to.equal("accepted");
    expect(tracker.check(KEY, at(T0 - MAX_SPAN_MS))).to.equal("stale");
    expect(tracker.check(KEY, at(T0))).to.equal("stale");
    expect(tracker.check(KEY, at(T0 + 1))).to.equal("duplicate");
    expect(tracker.check(KEY, at(T0 + MAX_SPAN_MS + 1, 5))).to.equal("duplicate");
  });

  it(`holds at most ${MAX_DEFAULT_TRACKER_MIB} MiB when full with the validator's defaults (170 MiB before)`, function () {
    this.timeout(120_000);
    // Heap measurements are noisy, so the bound is the goal, not the ~26 MiB measured.
    expect(measureFullTracker() / 2 ** 20).to.be.below(MAX_DEFAULT_TRACKER_MIB);
  });
});
