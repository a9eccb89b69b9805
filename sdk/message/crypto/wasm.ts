import type { KeccakBackend } from "./backend";

// Keccak-256 in WebAssembly, the module generated below at load time (no binary blob): a
// hash is one call into it and no allocation but the 32-byte result, where the `keccak`
// addon costs three N-API calls and a new Buffer each (several times the permutation itself
// on the short inputs of a message digest). Used where WebAssembly compiles (Node, browsers
// whose content security policy allows it); @noble elsewhere.

/** Bytes absorbed per permutation: keccak256's rate, 1088 bits. */
const RATE = 136;
const ROUNDS = 24;
const PAGE = 65536;
// Memory: the round constants, the 32-byte output, then the padded input.
const ROUND_CONSTANTS_AT = 0;
const OUTPUT_AT = ROUND_CONSTANTS_AT + 8 * ROUNDS;
const INPUT_AT = 256;

/** The 24 round constants of Keccak-f[1600], from its LFSR (FIPS 202, algorithm 5). */
function roundConstants(): bigint[] {
  const constants: bigint[] = [];
  let r = 1;
  for (let round = 0; round < ROUNDS; round++) {
    let constant = 0n;
    for (let j = 0; j < 7; j++) {
      if (r & 1) constant |= 1n << BigInt(2 ** j - 1);
      r = r & 0x80 ? ((r << 1) ^ 0x71) & 0xff : r << 1;
    }
    constants.push(constant);
  }
  return constants;
}

/** The rotation of lane (x, y) in the rho step (FIPS 202, 3.2.2). */
function rotations(): number[] {
  const offsets = new Array<number>(25).fill(0);
  let x = 1;
  let y = 0;
  for (let t = 0; t < 24; t++) {
    offsets[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return offsets;
}

/** LEB128, as WebAssembly encodes sizes and indices (unsigned) and constants (signed). */
function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
}

/** The WebAssembly opcodes and value types the module uses. */
const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Const: 0x41, i32Eqz: 0x45, i32Add: 0x6a, i32Sub: 0x6b, i32Ne: 0x47,
  i64Load: 0x29, i64Store: 0x37, i64Const: 0x42, i64And: 0x83, i64Xor: 0x85, i64Rotl: 0x89,
  i32: 0x7f, i64: 0x7e,
};

/**
 * The body of `absorb(input, blocks)`: from the zero state (locals start at zero), XORs each
 * 136-byte block of padded input into it followed by Keccak-f[1600], then stores the first
 * 32 bytes at OUTPUT_AT.
 * Lanes live in locals (a: the state, b: after rho and pi, c: the column parities).
 */
function absorbBody(): number[] {
  const INPUT = 0, BLOCKS = 1, ROUND = 2;
  const a = (i: number) => 3 + i;
  const b = (i: number) => 28 + i;
  const c = (i: number) => 53 + i;
  const D = 58;
  const code: number[] = [];
  const get = (local: number) => code.push(op.localGet, local);
  const set = (local: number) => code.push(op.localSet, local);
  const memArg = (offset: number) => [0x03, ...unsignedLeb(offset)]; // 8-byte alignment hint
  const offsets = rotations();

  code.push(op.block, op.void, op.loop, op.void);
  get(BLOCKS);
  code.push(op.i32Eqz, op.brIf, 1);
  for (let i = 0; i < RATE / 8; i++) {
    get(a(i));
    get(INPUT);
    code.push(op.i64Load, ...memArg(8 * i), op.i64Xor);
    set(a(i));
  }
  code.push(op.i32Const, 0);
  set(ROUND);
  code.push(op.loop, op.void);
  // theta
  for (let x = 0; x < 5; x++) {
    get(a(x));
    for (let y = 1; y < 5; y++) {
      get(a(x + 5 * y));
      code.push(op.i64Xor);
    }
    set(c(x));
  }
  for (let x = 0; x < 5; x++) {
    get(c((x + 4) % 5));
    get(c((x + 1) % 5));
    code.push(op.i64Const, 1, op.i64Rotl, op.i64Xor);
    set(D);
    for (let y = 0; y < 5; y++) {
      get(a(x + 5 * y));
      get(D);
      code.push(op.i64Xor);
      set(a(x + 5 * y));
    }
  }
  // rho and pi: B[y, 2x + 3y] = rotl(A[x, y], r[x, y])
  for (let x = 0; x < 5; x++) {
    for (let y = 0; y < 5; y++) {
      get(a(x + 5 * y));
      if (offsets[x + 5 * y] !== 0) code.push(op.i64Const, offsets[x + 5 * y], op.i64Rotl);
      set(b(y + 5 * ((2 * x + 3 * y) % 5)));
    }
  }
  // chi: A[x, y] = B[x, y] ^ (~B[x + 1, y] & B[x + 2, y])
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      get(b(x + 5 * y));
      get(b(((x + 1) % 5) + 5 * y));
      code.push(op.i64Const, 0x7f, op.i64Xor); // ~: xor with -1
      get(b(((x + 2) % 5) + 5 * y));
      code.push(op.i64And, op.i64Xor);
      set(a(x + 5 * y));
    }
  }
  // iota, with the round constant read from memory
  get(a(0));
  get(ROUND);
  code.push(op.i64Load, ...memArg(ROUND_CONSTANTS_AT), op.i64Xor);
  set(a(0));
  get(ROUND);
  code.push(op.i32Const, 8, op.i32Add, op.localTee, ROUND, op.i32Const, ...signedLeb(8 * ROUNDS), op.i32Ne, op.brIf, 0, op.end);
  // next block
  get(INPUT);
  code.push(op.i32Const, ...signedLeb(RATE), op.i32Add);
  set(INPUT);
  get(BLOCKS);
  code.push(op.i32Const, 1, op.i32Sub);
  set(BLOCKS);
  code.push(op.br, 0, op.end, op.end);
  for (let i = 0; i < 4; i++) {
    code.push(op.i32Const, ...signedLeb(OUTPUT_AT));
    get(a(i));
    code.push(op.i64Store, ...memArg(8 * i));
  }
  code.push(op.end);
  const locals = [2, 1, op.i32, 25 + 25 + 5 + 1, op.i64]; // ROUND; a, b, c, D
  return [...unsignedLeb(locals.length + code.length), ...locals, ...code];
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

const name = (text: string) => [text.length, ...Array.from(text, (char) => char.charCodeAt(0))];

/** The module: one memory (exported) and `absorb(input: i32, blocks: i32)`. */
function moduleBytes(): ArrayBuffer {
  const body = absorbBody();
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 2, op.i32, op.i32, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name("memory"), 0x02, 0, ...name("absorb"), 0x00, 0]),
    ...section(10, [1, ...body]),
  ]).buffer;
}

interface KeccakExports {
  memory: WebAssembly.Memory;
  absorb(input: number, blocks: number): void;
}

/** The WebAssembly Keccak, or undefined where WebAssembly is missing or forbidden. */
export function loadWasmKeccak(): KeccakBackend | undefined {
  let exports: KeccakExports;
  try {
    exports = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports as unknown as KeccakExports;
  } catch {
    return undefined;
  }
  const { memory, absorb } = exports;
  let bytes = new Uint8Array(memory.buffer);
  const constants = new DataView(memory.buffer);
  roundConstants().forEach((constant, round) => constants.setBigUint64(ROUND_CONSTANTS_AT + 8 * round, constant, true));
  return {
    name: "wasm",
    keccak256(data) {
      const blocks = Math.floor(data.length / RATE) + 1;
      const end = INPUT_AT + blocks * RATE;
      if (end > bytes.length) {
        memory.grow(Math.ceil((end - bytes.length) / PAGE));
        bytes = new Uint8Array(memory.buffer);
      }
      bytes.set(data, INPUT_AT);
      bytes.fill(0, INPUT_AT + data.length, end);
      bytes[INPUT_AT + data.length] = 0x01; // keccak padding: 0x01 ... 0x80 (0x81 in one byte)
      bytes[end - 1] |= 0x80;
      absorb(INPUT_AT, blocks);
      return bytes.slice(OUTPUT_AT, OUTPUT_AT + 32);
    },
  };
}
