import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { InvalidArgumentError } from "../../sdk/errors";
import { curveBackend } from "../../sdk/message/crypto";
import type { RecoveryInput } from "../../sdk/message/verify";
import { createRecoveryThreads } from "../../relay/recoveryThreads";
import { until } from "./helpers";

/** `count` signatures by fresh keys over random digests, and the key each must recover. */
function signed(count: number): { inputs: RecoveryInput[]; keys: Uint8Array[] } {
  const inputs: RecoveryInput[] = [];
  const keys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const privateKey = randomBytes(32);
    const digest = randomBytes(32);
    const { signature, recoveryId } = curveBackend().sign(digest, privateKey);
    inputs.push({ digest, signature, recoveryId });
    keys.push(curveBackend().recoverPublicKey(digest, signature, recoveryId)!);
  }
  return { inputs, keys };
}

/** Signatures that recover nobody: r = 0, and an r that is no point's x. */
function unrecoverable(): RecoveryInput[] {
  const digest = randomBytes(32);
  const zeroR = new Uint8Array(64).fill(1, 32);
  const noPoint = new Uint8Array(64).fill(0xff, 0, 32).fill(1, 32);
  return [zeroR, noPoint].map((signature) => ({ digest, signature, recoveryId: 0 }));
}

describe("relay/recoveryThreads", function () {
  it("recovers on worker threads what the caller's thread would, in order, including signatures that recover nobody", async function () {
    const threads = createRecoveryThreads({ threads: 2 });
    try {
      const { inputs, keys } = signed(300);
      const bad = unrecoverable();
      // Asked in one turn (batches), and again one by one across turns.
      const together = await Promise.all([...inputs, ...bad].map(threads.recoverPublicKey));
      expect(together.slice(0, 300).map((key) => Buffer.from(key!).toString("hex"))).to.deep.equal(keys.map((key) => Buffer.from(key).toString("hex")));
      expect(together.slice(300)).to.deep.equal([undefined, undefined]);
      for (let i = 0; i < 5; i++) expect(await threads.recoverPublicKey(inputs[i])).to.deep.equal(keys[i]);
    } finally {
      await threads.close();
    }
  });

  it("recovers a request after a quiet moment in the caller's thread, starting no thread; a burst goes to the threads", async function () {
    const lines: string[] = [];
    // A thread that cannot load the addon says so when it starts: the log shows whether one did.
    const threads = createRecoveryThreads({ threads: 1, addonPath: "/nonexistent/secp256k1/bindings.js", log: (line) => lines.push(line) });
    try {
      const { inputs, keys } = signed(10);
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        expect(await threads.recoverPublicKey(inputs[i])).to.deep.equal(keys[i]);
      }
      expect(lines).to.deep.equal([]);
      expect(await Promise.all(inputs.map(threads.recoverPublicKey))).to.deep.equal(keys);
      await until(() => lines.length === 1, "the thread to fail");
    } finally {
      await threads.close();
    }
  });

  it("recovers in the caller's thread when a worker cannot load the addon, and says so", async function () {
    const lines: string[] = [];
    const threads = createRecoveryThreads({ threads: 1, addonPath: "/nonexistent/secp256k1/bindings.js", log: (line) => lines.push(line) });
    try {
      const { inputs, keys } = signed(20);
      expect(await Promise.all(inputs.map(threads.recoverPublicKey))).to.deep.equal(keys);
      expect(await threads.recoverPublicKey(inputs[0])).to.deep.equal(keys[0]);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/signature recovery thread failed .*Cannot find module/);
    } finally {
      await threads.close();
    }
  });

  it("answers what was asked before close, and everything after it, in the caller's thread", async function () {
    const threads = createRecoveryThreads({ threads: 1 });
    const { inputs, keys } = signed(10);
    await threads.recoverPublicKey(inputs[0]); // the thread is running
    const asked = Promise.all(inputs.slice(0, 5).map(threads.recoverPublicKey));
    await threads.close();
    expect(await asked).to.deep.equal(keys.slice(0, 5));
    expect(await Promise.all(inputs.slice(5).map(threads.recoverPublicKey))).to.deep.equal(keys.slice(5));
  });

  it("recovers in the caller's thread with threads: 0, and refuses a count that is not an integer >= 0", async function () {
    const threads = createRecoveryThreads({ threads: 0 });
    const { inputs, keys } = signed(3);
    expect(await Promise.all(inputs.map(threads.recoverPublicKey))).to.deep.equal(keys);
    await threads.close();
    for (const count of [-1, 1.5, Number.NaN]) {
      expect(() => createRecoveryThreads({ threads: count }), String(count)).to.throw(InvalidArgumentError, /recoveryThreads must be an integer >= 0/);
    }
  });
});
