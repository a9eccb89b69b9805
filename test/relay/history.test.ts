import { expect } from "chai";
import { createHistory, ENTRY_OVERHEAD_BYTES, type AcceptedMessage } from "../../relay/history";

/** An entry at position (timestamp, 0) of one chain, accepted at `acceptedAt`. */
function entry(timestamp: number, acceptedAt = 0, bytes?: number): AcceptedMessage {
  return {
    message: { publisher: "0x0000000000000000000000000000000000000001", msgChainId: "chain", timestamp, sequenceNumber: 0 },
    frame: bytes === undefined ? Buffer.from(String(timestamp)) : Buffer.alloc(bytes),
    acceptedAt,
  };
}

const timestampsOf = (entries: AcceptedMessage[]) => entries.map(({ message }) => message.timestamp);
const BEFORE_ALL = { timestamp: 0, sequenceNumber: 0 };
const UNBOUNDED = { maxBytes: Number.MAX_SAFE_INTEGER };

describe("relay/history", function () {
  it("replays at most `count` messages per channel, the newest, in acceptance order, whatever was added", function () {
    const history = createHistory({ count: 10, maxAgeMs: 60_000, now: () => 0, ...UNBOUNDED });
    for (let added = 1; added <= 47; added++) {
      history.add("a|0", entry(added));
      const expected = Array.from({ length: Math.min(10, added) }, (_, i) => added - Math.min(10, added) + 1 + i);
      expect(timestampsOf(history.after("a|0", BEFORE_ALL)), `after ${added} added`).to.deep.equal(expected);
    }
    history.add("b|0", entry(1));
    expect(timestampsOf(history.after("b|0", BEFORE_ALL))).to.deep.equal([1]);
  });

  it("replays only what is strictly after `from`", function () {
    const history = createHistory({ count: 100, maxAgeMs: 60_000, now: () => 0, ...UNBOUNDED });
    for (let t = 1; t <= 5; t++) history.add("a|0", entry(t));
    expect(timestampsOf(history.after("a|0", { timestamp: 3, sequenceNumber: 0 }))).to.deep.equal([4, 5]);
    expect(history.after("a|0", { timestamp: 5, sequenceNumber: 0 })).to.deep.equal([]);
    expect(history.after("nothing|0", BEFORE_ALL)).to.deep.equal([]);
  });

  it("replays nothing older than maxAgeMs", function () {
    let now = 0;
    const history = createHistory({ count: 100, maxAgeMs: 1_000, now: () => now, ...UNBOUNDED });
    // In acceptance order, as the relay stamps them.
    history.add("a|0", entry(1, 0));
    history.add("b|0", entry(1, 0));
    history.add("a|0", entry(2, 500));
    now = 1_200;
    expect(timestampsOf(history.after("a|0", BEFORE_ALL))).to.deep.equal([2]);
    history.sweep();
    expect(history.after("b|0", BEFORE_ALL)).to.deep.equal([]);
    now = 2_000;
    history.sweep();
    expect(history.after("a|0", BEFORE_ALL)).to.deep.equal([]);
  });

  it("keeps at most maxBytes (frames plus a fixed overhead each) across all channels, dropping the oldest accepted first", function () {
    const cost = 1_000 + ENTRY_OVERHEAD_BYTES;
    const history = createHistory({ count: 100, maxAgeMs: 60_000, now: () => 0, maxBytes: 5 * cost });
    // Accepted in turn on three channels: a1 b1 c1 a2 b2 c2 a3 b3 c3.
    for (let t = 1; t <= 3; t++) for (const channel of ["a|0", "b|0", "c|0"]) history.add(channel, entry(t, 0, 1_000));
    expect(history.bytes()).to.equal(5 * cost);
    // The four oldest (a1 b1 c1 a2) are gone, whichever channel they were on.
    expect(timestampsOf(history.after("a|0", BEFORE_ALL))).to.deep.equal([3]);
    expect(timestampsOf(history.after("b|0", BEFORE_ALL))).to.deep.equal([2, 3]);
    expect(timestampsOf(history.after("c|0", BEFORE_ALL))).to.deep.equal([2, 3]);
    // A message larger than the budget is not kept, and pushes out nothing but itself.
    history.add("a|0", entry(4, 0, 6 * cost));
    expect(timestampsOf(history.after("a|0", BEFORE_ALL))).to.deep.equal([]);
    expect(history.bytes()).to.be.at.most(5 * cost);
  });

  it("counts what count and age drop out of the budget", function () {
    let now = 0;
    const history = createHistory({ count: 2, maxAgeMs: 1_000, now: () => now, maxBytes: 10 * (100 + ENTRY_OVERHEAD_BYTES) });
    for (let t = 1; t <= 5; t++) history.add("a|0", entry(t, 0, 100));
    history.add("b|0", entry(1, 500, 100));
    expect(history.bytes()).to.equal(3 * (100 + ENTRY_OVERHEAD_BYTES));
    now = 1_200;
    history.sweep();
    expect(history.bytes()).to.equal(100 + ENTRY_OVERHEAD_BYTES);
    expect(timestampsOf(history.after("b|0", BEFORE_ALL))).to.deep.equal([1]);
    now = 2_000;
    history.sweep();
    expect(history.bytes()).to.equal(0);
  });
});
