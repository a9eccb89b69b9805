import { keccak_256 } from "@noble/hashes/sha3";
import { expect } from "chai";
import { loadWasmKeccak } from "../../../sdk/message/crypto/wasm";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
/** Bytes that differ from one position to the next, so a misplaced lane or block shows. */
const pattern = (length: number, seed = 0) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 7 + 11) & 0xff);

describe("sdk/message WebAssembly Keccak-256", () => {
  const wasm = loadWasmKeccak()!;

  it("loads on Node", () => {
    expect(wasm?.name).to.equal("wasm");
  });

  it("hashes the empty input and a known text as Ethereum does", () => {
    expect(hex(wasm.keccak256(new Uint8Array(0)))).to.equal("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    expect(hex(wasm.keccak256(new TextEncoder().encode("hello")))).to.equal("1c8aff950685c2ed4bc3174f3472287b56d9517b9c948127319a09a7a36deac8");
  });

  it("agrees with @noble for every length across the first blocks (padding in one byte, at a block's end, in the next block)", () => {
    for (let length = 0; length <= 3 * 136 + 1; length++) {
      expect(hex(wasm.keccak256(pattern(length))), `length ${length}`).to.equal(hex(keccak_256(pattern(length))));
    }
  });

  it("grows its memory for a 1 MiB input, and a short input after it is not mixed with the long one's bytes", () => {
    const long = pattern(1024 * 1024 + 5, 1);
    expect(hex(wasm.keccak256(long))).to.equal(hex(keccak_256(long)));
    const short = pattern(100, 2);
    expect(hex(wasm.keccak256(short))).to.equal(hex(keccak_256(short)));
  });

  it("returns a fresh array each time: a caller may keep or change it", () => {
    const first = wasm.keccak256(pattern(10));
    const kept = hex(first);
    first.fill(0);
    const second = wasm.keccak256(pattern(20));
    expect(hex(wasm.keccak256(pattern(10)))).to.equal(kept);
    expect(second).to.not.equal(first);
  });

  it("hashes a view into a larger buffer by its own bytes only", () => {
    const buffer = pattern(300, 3);
    const view = buffer.subarray(50, 250);
    expect(hex(wasm.keccak256(view))).to.equal(hex(keccak_256(buffer.slice(50, 250))));
  });
});
