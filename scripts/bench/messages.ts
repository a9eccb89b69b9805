// `npm run bench:messages`: the SDK's message signing and validation against raw native
// secp256k1 on the same digests, in the same run, plus validation on 2 worker threads.
// The machine is shared: each figure is the median of several interleaved rounds.
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Hex } from "viem";
import {
  createMessageValidator,
  createPublisher,
  getCryptoBackend,
  hashStreamMessage,
  verifyStreamMessage,
  type MessageDomain,
  type SignedStreamMessage,
} from "../../sdk/message";
import { FOREVER } from "../../sdk/permissions";

const COUNT = 5_000;
const ROUNDS = 7;
const CHUNK = 250;
const CONTENT_BYTES = 200;
const GOAL_RATIO = 0.75;
const GOAL_SPEEDUP = 1.8;
const KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const PUBLISHER = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";
const DOMAIN: MessageDomain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const STREAM = { streamId: `${PUBLISHER}/bench`, partition: 0 };

interface NativeSecp256k1 {
  ecdsaSign(digest: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(signature: Uint8Array, recid: number, digest: Uint8Array, compressed: boolean): Uint8Array;
}
const native = require("secp256k1/bindings") as NativeSecp256k1;

/** Payloads, made once: allocating them is not the SDK's cost. */
const CONTENTS = Array.from({ length: 251 }, (_, i) => new Uint8Array(CONTENT_BYTES).fill(i));
const content = (i: number) => CONTENTS[i % CONTENTS.length];

/** ops/s of `run` over `count` operations. */
async function opsPerSecond(count: number, run: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Seconds `run` takes. */
async function seconds(run: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function publishAll(msgChainId: string, count: number): Promise<SignedStreamMessage[]> {
  const publisher = createPublisher({ ...STREAM, signer: KEY, domain: DOMAIN, msgChainId });
  const messages: SignedStreamMessage[] = [];
  for (let i = 0; i < count; i++) messages.push(await publisher.publish(content(i)));
  return messages;
}

async function validateAll(messages: readonly SignedStreamMessage[]): Promise<void> {
  const validator = createMessageValidator({ domain: DOMAIN, permissions: { getPermissionExpiry: async () => FOREVER } });
  for (const message of messages) await validator.validate(message, STREAM);
}

function startWorker(messages: SignedStreamMessage[]): Worker {
  // Workers run TypeScript through ts-node, like this script.
  return new Worker(`require("ts-node/register/transpile-only"); require(${JSON.stringify(path.join(__dirname, "messagesWorker.ts"))});`, {
    eval: true,
    workerData: { domain: DOMAIN, stream: STREAM, messages },
  });
}

function runWorker(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
    worker.postMessage("go");
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function round(index: number, workers: Worker[], halves: SignedStreamMessage[][]) {
  const signed = await publishAll(`round-${index}`, COUNT); // warms the publisher path too
  const digests = signed.map((message) => hashStreamMessage(message, DOMAIN));
  const key = Buffer.from(KEY.slice(2), "hex");
  const rawSignatures = digests.map((digest) => native.ecdsaSign(digest, key));
  const publisher = createPublisher({ ...STREAM, signer: KEY, domain: DOMAIN, msgChainId: `sign-${index}` });
  const validator = createMessageValidator({ domain: DOMAIN, permissions: { getPermissionExpiry: async () => FOREVER } });

  // Raw and SDK alternate in chunks, so that load from other processes hits both alike.
  const time = { rawSign: 0, sdkSign: 0, rawRecover: 0, sdkVerify: 0, signatureOnly: 0 };
  for (let from = 0; from < COUNT; from += CHUNK) {
    const to = Math.min(COUNT, from + CHUNK);
    time.rawSign += await seconds(() => {
      for (let i = from; i < to; i++) native.ecdsaSign(digests[i], key);
    });
    time.sdkSign += await seconds(async () => {
      for (let i = from; i < to; i++) await publisher.publish(content(i));
    });
    time.rawRecover += await seconds(() => {
      for (let i = from; i < to; i++) native.ecdsaRecover(rawSignatures[i].signature, rawSignatures[i].recid, digests[i], false);
    });
    time.sdkVerify += await seconds(async () => {
      for (let i = from; i < to; i++) await validator.validate(signed[i], STREAM);
    });
    time.signatureOnly += await seconds(() => {
      for (let i = from; i < to; i++) verifyStreamMessage(signed[i], DOMAIN);
    });
  }

  const both = halves.flat();
  const oneThread = await opsPerSecond(both.length, () => validateAll(both));
  const twoWorkers = await opsPerSecond(both.length, () => Promise.all(workers.map(runWorker)));
  return {
    rawSign: COUNT / time.rawSign,
    sdkSign: COUNT / time.sdkSign,
    rawRecover: COUNT / time.rawRecover,
    sdkVerify: COUNT / time.sdkVerify,
    signatureOnly: COUNT / time.signatureOnly,
    oneThread,
    twoWorkers,
  };
}

async function main(): Promise<void> {
  const backend = getCryptoBackend();
  const loadBefore = Number(os.loadavg()[0].toFixed(2));
  const halves = [await publishAll("worker-0", COUNT), await publishAll("worker-1", COUNT)];
  const workers = halves.map(startWorker);
  await Promise.all(workers.map(runWorker)); // loads ts-node and warms up each worker

  const rounds: Array<Awaited<ReturnType<typeof round>>> = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round(i, workers, halves));
  await Promise.all(workers.map((worker) => worker.terminate()));

  const figure = (name: keyof (typeof rounds)[number]) => Math.round(median(rounds.map((r) => r[name])));
  const ratio = (of: (r: (typeof rounds)[number]) => number) => Number(median(rounds.map(of)).toFixed(3));
  const results = {
    measuredAt: new Date().toISOString(),
    backend,
    messages: COUNT,
    contentBytes: CONTENT_BYTES,
    rounds: ROUNDS,
    // Other work on the (shared) machine skews every figure: the 1-minute load before and after.
    loadAverage: { before: loadBefore, after: Number(os.loadavg()[0].toFixed(2)) },
    opsPerSecond: {
      rawNativeSign: figure("rawSign"),
      sdkSign: figure("sdkSign"),
      rawNativeRecover: figure("rawRecover"),
      sdkVerify: figure("sdkVerify"),
      sdkSignatureOnly: figure("signatureOnly"),
      sdkVerifyOneThread: figure("oneThread"),
      sdkVerifyTwoWorkers: figure("twoWorkers"),
    },
    // Ratios are taken within each round (same load), then the median.
    signRatio: ratio((r) => r.sdkSign / r.rawSign),
    verifyRatio: ratio((r) => r.sdkVerify / r.rawRecover),
    workerSpeedup: ratio((r) => r.twoWorkers / r.oneThread),
  };
  const goals = {
    signRatio: results.signRatio >= GOAL_RATIO,
    verifyRatio: results.verifyRatio >= GOAL_RATIO,
    workerSpeedup: results.workerSpeedup >= GOAL_SPEEDUP,
  };

  const ops = results.opsPerSecond;
  const line = (label: string, value: number) => console.log(`${label.padEnd(48)}${value.toLocaleString("en-US").padStart(10)} /s`);
  console.log(`backend: curve ${backend.curve}, keccak ${backend.keccak}; ${COUNT} messages of ${CONTENT_BYTES} bytes; median of ${ROUNDS} rounds`);
  console.log(`load average (1 min) before ${loadBefore}, after ${results.loadAverage.after} on ${os.cpus().length} cores`);
  line("raw native ecdsaSign", ops.rawNativeSign);
  line("SDK sign (Publisher.publish)", ops.sdkSign);
  line("raw native ecdsaRecover", ops.rawNativeRecover);
  line("SDK verify (MessageValidator, permission cached)", ops.sdkVerify);
  line("SDK verifyStreamMessage (signature only)", ops.sdkSignatureOnly);
  line("SDK verify, 1 thread", ops.sdkVerifyOneThread);
  line("SDK verify, 2 worker threads", ops.sdkVerifyTwoWorkers);
  const verdict = (met: boolean) => (met ? "met" : "MISSED");
  console.log(`sign ratio ${results.signRatio} (goal >= ${GOAL_RATIO}: ${verdict(goals.signRatio)})`);
  console.log(`verify ratio ${results.verifyRatio} (goal >= ${GOAL_RATIO}: ${verdict(goals.verifyRatio)})`);
  console.log(`2-worker speed-up ${results.workerSpeedup}x (goal >= ${GOAL_SPEEDUP}: ${verdict(goals.workerSpeedup)})`);

  const out = path.join(__dirname, "../../bench-results/messages.json");
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ ...results, goals }, null, 2) + "\n");
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  if (!Object.values(goals).every(Boolean)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
