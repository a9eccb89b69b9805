// `npm run bench:messages`: the SDK's message signing and validation against raw native
// secp256k1 on the same digests, in the same run, plus validation on 2 worker threads against
// raw ecdsaRecover on the same 2 workers.
// Validation asks a KeywayClient with a warm cache for permissions, as a relay does, against
// a registry on a local Hardhat node; the same with a constant permission source isolates
// the message layer. The machine is shared: each figure is the median of several
// interleaved rounds, and the load average is printed with them.
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Address } from "viem";
import { KeywayClient } from "../../sdk/client";
import { permissionSourceOf } from "../../sdk/actions/getPermissionExpiry";
import {
  createMessageValidator,
  createPublisher,
  getCryptoBackend,
  hashStreamMessage,
  verifyStreamMessage,
  type SignedStreamMessage,
  type StreamPartition,
} from "../../sdk/message";
import { FOREVER } from "../../sdk/permissions";
import { startLocalNode } from "../localNode";
import { deployLocalRegistry, devAccounts } from "../devChain";
import { native, recoverAll, recoverInputs, validateAll, warmClient, type BenchChain, type RecoverInput, type WorkerTask } from "./messagesWorker";

const COUNT = 5_000;
const ROUNDS = 7;
const CHUNK = 250;
const CONTENT_BYTES = 200;
const GOAL_RATIO = 0.8;
const GOAL_SPEEDUP = 1.8;
const [OWNER] = devAccounts(1);
const KEY = OWNER.privateKey;
const PUBLISHER = OWNER.account.address.toLowerCase();

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

async function publishAll(chain: BenchChain, stream: StreamPartition, msgChainId: string, count: number): Promise<SignedStreamMessage[]> {
  const publisher = createPublisher({ ...stream, signer: KEY, domain: chain.domain, msgChainId });
  const messages: SignedStreamMessage[] = [];
  for (let i = 0; i < count; i++) messages.push(await publisher.publish(content(i)));
  return messages;
}

function startWorker(chain: BenchChain, stream: StreamPartition, messages: SignedStreamMessage[]): Worker {
  // Workers run TypeScript through ts-node, like this script.
  return new Worker(`require("ts-node/register/transpile-only"); require(${JSON.stringify(path.join(__dirname, "messagesWorker.ts"))});`, {
    eval: true,
    workerData: { chain, stream, messages },
  });
}

function runWorker(worker: Worker, task: WorkerTask): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", () => {
      worker.off("error", reject); // a worker runs many tasks: its listeners must not pile up
      resolve();
    });
    worker.postMessage(task);
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Setup {
  chain: BenchChain;
  stream: StreamPartition;
  /** The main thread's client, its cache warm. */
  client: KeywayClient;
  workers: Worker[];
  halves: SignedStreamMessage[][];
  /** The raw yardstick's inputs for both halves, in the main thread. */
  bothRaw: RecoverInput[];
}

async function round(index: number, { chain, stream, client, workers, halves, bothRaw }: Setup) {
  const { domain } = chain;
  const signed = await publishAll(chain, stream, `round-${index}`, COUNT); // warms the publisher path too
  const digests = signed.map((message) => hashStreamMessage(message, domain));
  const key = Buffer.from(KEY.slice(2), "hex");
  const rawSignatures = digests.map((digest) => native.ecdsaSign(digest, key));
  const publisher = createPublisher({ ...stream, signer: KEY, domain, msgChainId: `sign-${index}` });
  const validator = createMessageValidator({ domain, permissions: permissionSourceOf(client.context) });
  const constant = createMessageValidator({ domain, permissions: { getPermissionExpiry: () => FOREVER } });

  // Raw and SDK alternate in chunks, so that load from other processes hits both alike.
  const time = { rawSign: 0, sdkSign: 0, rawRecover: 0, sdkVerify: 0, messageLayer: 0, signatureOnly: 0 };
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
      for (let i = from; i < to; i++) await validator.validate(signed[i], stream);
    });
    time.messageLayer += await seconds(async () => {
      for (let i = from; i < to; i++) await constant.validate(signed[i], stream);
    });
    time.signatureOnly += await seconds(() => {
      for (let i = from; i < to; i++) verifyStreamMessage(signed[i], domain);
    });
  }

  // The same work on 1 thread and on 2 workers, the SDK's and raw recovery's: the raw speed-up
  // is what the machine allows (2 cores shared with everything else running).
  const both = halves.flat();
  const oneThread = await opsPerSecond(both.length, () => validateAll(client, domain, stream, both));
  const twoWorkers = await opsPerSecond(both.length, () => Promise.all(workers.map((worker) => runWorker(worker, "validate"))));
  const rawOneThread = await opsPerSecond(bothRaw.length, () => recoverAll(bothRaw));
  const rawTwoWorkers = await opsPerSecond(bothRaw.length, () => Promise.all(workers.map((worker) => runWorker(worker, "recover"))));
  return {
    rawSign: COUNT / time.rawSign,
    sdkSign: COUNT / time.sdkSign,
    rawRecover: COUNT / time.rawRecover,
    sdkVerify: COUNT / time.sdkVerify,
    messageLayer: COUNT / time.messageLayer,
    signatureOnly: COUNT / time.signatureOnly,
    oneThread,
    twoWorkers,
    rawOneThread,
    rawTwoWorkers,
  };
}

/** A registry on a fresh local node, with a stream the publisher owns. */
async function setUp(url: string): Promise<Setup> {
  const deployment = await deployLocalRegistry(url);
  const chain: BenchChain = {
    rpcUrl: url,
    registryAddress: deployment.registryAddress,
    domain: { chainId: deployment.chainId, verifyingContract: deployment.registryAddress as Address },
  };
  const owner = new KeywayClient({ rpcUrl: url, registryAddress: deployment.registryAddress, privateKey: KEY, cache: false });
  const stream = { streamId: (await owner.createStream("/bench")).id, partition: 0 };
  owner.destroy();
  const client = await warmClient(chain, stream, PUBLISHER);
  const halves = [await publishAll(chain, stream, "worker-0", COUNT), await publishAll(chain, stream, "worker-1", COUNT)];
  const workers = halves.map((messages) => startWorker(chain, stream, messages));
  // Loads ts-node, warms each worker's client and code.
  for (const task of ["validate", "recover"] as const) await Promise.all(workers.map((worker) => runWorker(worker, task)));
  return { chain, stream, client, workers, halves, bothRaw: recoverInputs(chain.domain, halves.flat()) };
}

async function main(): Promise<void> {
  const backend = getCryptoBackend();
  const node = await startLocalNode();
  const loadBefore = Number(os.loadavg()[0].toFixed(2));
  const rounds: Array<Awaited<ReturnType<typeof round>>> = [];
  try {
    const setup = await setUp(node.url);
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(i, setup));
    await Promise.all(setup.workers.map((worker) => worker.terminate()));
    setup.client.destroy();
  } finally {
    await node.stop();
  }

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
      sdkVerifyConstantPermission: figure("messageLayer"),
      sdkSignatureOnly: figure("signatureOnly"),
      sdkVerifyOneThread: figure("oneThread"),
      sdkVerifyTwoWorkers: figure("twoWorkers"),
      rawNativeRecoverOneThread: figure("rawOneThread"),
      rawNativeRecoverTwoWorkers: figure("rawTwoWorkers"),
    },
    // Ratios are taken within each round (same load), then the median.
    signRatio: ratio((r) => r.sdkSign / r.rawSign),
    verifyRatio: ratio((r) => r.sdkVerify / r.rawRecover),
    messageLayerRatio: ratio((r) => r.messageLayer / r.rawRecover),
    workerSpeedup: ratio((r) => r.twoWorkers / r.oneThread),
    rawWorkerSpeedup: ratio((r) => r.rawTwoWorkers / r.rawOneThread),
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
  line("SDK verify (MessageValidator, warm client cache)", ops.sdkVerify);
  line("SDK verify (constant permission source)", ops.sdkVerifyConstantPermission);
  line("SDK verifyStreamMessage (signature only)", ops.sdkSignatureOnly);
  line("SDK verify (warm client cache), 1 thread", ops.sdkVerifyOneThread);
  line("SDK verify, 2 worker threads", ops.sdkVerifyTwoWorkers);
  line("raw native ecdsaRecover, 1 thread", ops.rawNativeRecoverOneThread);
  line("raw native ecdsaRecover, 2 worker threads", ops.rawNativeRecoverTwoWorkers);
  const verdict = (met: boolean) => (met ? "met" : "MISSED");
  console.log(`sign ratio ${results.signRatio} (goal >= ${GOAL_RATIO}: ${verdict(goals.signRatio)})`);
  console.log(`verify ratio ${results.verifyRatio} (goal >= ${GOAL_RATIO}: ${verdict(goals.verifyRatio)}); message layer alone ${results.messageLayerRatio}`);
  console.log(
    `2-worker speed-up ${results.workerSpeedup}x (goal >= ${GOAL_SPEEDUP}: ${verdict(goals.workerSpeedup)}); raw ecdsaRecover on the same 2 workers ${results.rawWorkerSpeedup}x`,
  );

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
