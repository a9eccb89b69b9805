import { expect } from "chai";
import { createHistory, type AcceptedMessage } from "../../relay/history";

/** An entry at position (timestamp, 0) of one chain, accepted at `acceptedAt`. */
function entry(timestamp: number, acceptedAt = 0): AcceptedMessage {
  return {
    message: { publisher: "0x0000000000000000000000000000000000000001", msgChainId: "chain", timestamp, sequenceNumber: 0 },
    frame: Buffer.from(String(timestamp)),
    acceptedAt,
  };
}

const timestampsOf = (entries: AcceptedMessage[]) => entries.map(({ message }) => message.timestamp);
const BEFORE_ALL = { timestamp: 0, sequenceNumber: 0 };

describe("relay/history", function () {
  it("replays at most `count` messages per channel, the newest, in acceptance order, whatever was added", function () {
    const history = createHistory({ count: 10, maxAgeMs: 60_000, now: () => 0 });
    for (let added = 1; added <= 47; added++) {
      history.add("a|0", entry(added));
      const expected = Array.from({ length: Math.min(10, added) }, (_, i) => added - Math.min(10, added) + 1 + i);
      expect(timestampsOf(history.after("a|0", BEFORE_ALL)), `after ${added} added`).to.deep.equal(expected);
    }
    history.add("b|0", entry(1));
    expect(timestampsOf(history.after("b|0", BEFORE_ALL))).to.deep.equal([1]);
  });

  it("replays only what is strictly after `from`", function () {
    const history = createHistory({ count: 100, maxAgeMs: 60_000, now: () => 0 });
    for (let t = 1; t <= 5; t++) history.add("a|0", entry(t));
    expect(timestampsOf(history.after("a|0", { timestamp: 3, sequenceNumber: 0 }))).to.deep.equal([4, 5]);
    expect(history.after("a|0", { timestamp: 5, sequenceNumber: 0 })).to.deep.equal([]);
    expect(history.after("nothing|0", BEFORE_ALL)).to.deep.equal([]);
  });

  it("replays nothing older than maxAgeMs", function () {
    let now = 0;
    const history = createHistory({ count: 100, maxAgeMs: 1_000, now: () => now });
    history.add("a|0", entry(1, 0));
    history.add("a|0", entry(2, 500));
    history.add("b|0", entry(1, 0));
    now = 1_200;
    expect(timestampsOf(history.after("a|0", BEFORE_ALL))).to.deep.equal([2]);
    history.sweep();
    expect(history.after("b|0", BEFORE_ALL)).to.deep.equal([]);
    now = 2_000;
    history.sweep();
    expect(history.after("a|0", BEFORE_ALL)).to.deep.equal([]);
  });
});
