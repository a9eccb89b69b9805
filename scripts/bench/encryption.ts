// `npm run bench:encryption`: end-to-end encryption against plaintext signed messages, in one run,
// through a real relay (in this process) on a real Hardhat node. Targets (issue 18):
// - encrypted publish -> validated, decrypted delivery >= 0.9x plaintext signed messages;
// - re-key with 100 readers: the new key in use and delivered to all 100 <= 250 ms after the
//   publisher's client saw the revocation;
// - a new reader's first message (its key request, the answer, decryption) p99 <= 50 ms.
import { type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { deployLocalRegistry, devAccounts } from "../devChain";
import { startLocalNode } from "../localNode";
import { createRelay } from "../../relay";
import { type EncryptionMode, KeywayClient, StreamPermission } from "../../sdk";
import { loadAverage, percentile } from "./stats";

const MESSAGES = Number(process.env.BENCH_ENCRYPTION_MESSAGES ?? 3_000);
const READERS = Number(process.env.BENCH_ENCRYPTION_READERS ?? 100);
const FIRST_MESSAGE_SAMPLES = Number(process.env.BENCH_ENCRYPTION_SAMPLES ?? 100);
const WINDOW = 100;

const fmt = (value: number, digits = 0) => value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  console.log(`load average before: ${loadAverage()}`);
  const node = await startLocalNode();
  const deployment = await deployLocalRegistry(node.url);
  const relay = await createRelay({ rpcUrl: node.url, registryAddress: deployment.registryAddress, port: 0, pollingInterval: 200 });
  const [owner, second] = devAccounts(2);
  const clients: KeywayClient[] = [];
  const client = (privateKey: `0x${string}`, encryption: EncryptionMode = "auto") => {
    const created = new KeywayClient({ rpcUrl: node.url, registryAddress: deployment.registryAddress, privateKey, relayUrl: relay.url, pollingInterval: 200, encryption });
    clients.push(created);
    return created;
  };
  let missed = 0;
  try {
    const admin = client(owner.privateKey);
    const streamId = (await admin.createStream(`/bench/encryption-${Date.now()}`)).id;
    const readers = Array.from({ length: READERS }, () => generatePrivateKey());
    const readerAddress = (key: `0x${string}`) => privateKeyToAccount(key).address.toLowerCase() as Address;
    await admin.grantPermissions(
      streamId,
      { userId: second.account.address, permissions: [StreamPermission.SUBSCRIBE] },
      ...readers.map((key) => ({ userId: readerAddress(key), permissions: [StreamPermission.SUBSCRIBE] })),
    );

    // 1. Throughput, plaintext then encrypted, same stream, one publisher and one reader.
    const rates: Record<string, number> = {};
    for (const mode of ["never", "always"] as const) {
      const reader = client(second.privateKey);
      let received = 0;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const subscription = await reader.subscribe(streamId, () => {
        if (++received === MESSAGES) done();
      });
      const publisher = client(owner.privateKey, mode);
      await publisher.publish(streamId, { warm: true }); // key exchange and caches warm
      await new Promise<void>((resolve) => {
        const check = setInterval(() => received >= 1 && (clearInterval(check), resolve()), 5);
      });
      received = 0;
      const started = performance.now();
      const inFlight = new Set<Promise<unknown>>();
      for (let i = 0; i < MESSAGES; i++) {
        const sent: Promise<unknown> = publisher.publish(streamId, { i, pad: "x".repeat(150) }).finally(() => inFlight.delete(sent));
        inFlight.add(sent);
        if (inFlight.size >= WINDOW) await Promise.race(inFlight);
      }
      await finished;
      rates[mode] = MESSAGES / ((performance.now() - started) / 1000);
      await subscription.unsubscribe();
      publisher.destroy();
      reader.destroy();
    }
    const ratio = rates.always / rates.never;
    console.log(`throughput, ${fmt(MESSAGES)} messages of ~170 bytes, window ${WINDOW}: plaintext ${fmt(rates.never)}/s, encrypted ${fmt(rates.always)}/s: ${fmt(ratio, 2)}x (goal >= 0.9x)${ratio >= 0.9 ? "" : "  MISSED"}`);
    if (ratio < 0.9) missed++;

    // 2. Re-key with READERS readers: time from the publish that carried the new key (the publisher's
    // client started it as soon as it saw the revocation) to its delivery, decrypted, at every reader.
    const publisher = client(owner.privateKey);
    const deliveredAt = readers.map(() => new Map<string, number>());
    const readerClients = readers.map((key) => client(key));
    await Promise.all(
      readerClients.map((reader, r) => reader.subscribe(streamId, (_content, { groupKeyId }) => void deliveredAt[r].set(groupKeyId!, performance.now()))),
    );
    const first = await publisher.publish(streamId, { before: true });
    while (deliveredAt.some((seen) => !seen.has(first.groupKeyId!))) await sleep(20);
    await admin.revokePermissions(streamId, { userId: second.account.address, permissions: [StreamPermission.SUBSCRIBE] });
    let rekeyedAt = 0;
    let newKey: string | undefined;
    for (let tries = 0; tries < 500 && newKey === undefined; tries++) {
      const before = performance.now();
      const message = await publisher.publish(streamId, { tick: tries });
      if (message.groupKeyId !== first.groupKeyId) [rekeyedAt, newKey] = [before, message.groupKeyId];
      else await sleep(5);
    }
    if (newKey === undefined) throw new Error("no re-key seen");
    while (deliveredAt.some((seen) => !seen.has(newKey!))) await sleep(1);
    const rekeyMs = Math.max(...deliveredAt.map((seen) => seen.get(newKey!)! - rekeyedAt));
    console.log(`re-key with ${READERS} readers: new key delivered and used at all within ${fmt(rekeyMs, 1)} ms of its first publish (goal <= 250 ms)${rekeyMs <= 250 ? "" : "  MISSED"}`);
    if (rekeyMs > 250) missed++;
    readerClients.forEach((reader) => reader.destroy());

    // 3. A new reader's first message: from the publish's acknowledgement to its decrypted delivery
    // (the key request, the publisher's check and answer, decryption); plaintext in the same run.
    const latencies: Record<string, number[]> = { plaintext: [], encrypted: [] };
    for (const [label, mode] of [["plaintext", "never"], ["encrypted", "always"]] as const) {
      const sampler = client(owner.privateKey, mode);
      for (let i = 0; i < FIRST_MESSAGE_SAMPLES; i++) {
        const reader = client(readers[i % readers.length]);
        let deliveredTime = 0;
        await reader.subscribe(streamId, () => void (deliveredTime ||= performance.now()));
        await sampler.publish(streamId, { sample: i });
        const acked = performance.now();
        while (deliveredTime === 0) await sleep(0.5);
        latencies[label].push(deliveredTime - acked);
        reader.destroy();
      }
      sampler.destroy();
    }
    const p = (label: string, q: number) => percentile([...latencies[label]].sort((a, b) => a - b), q);
    console.log(`a new reader's first message, ${FIRST_MESSAGE_SAMPLES} samples: plaintext p50 ${fmt(p("plaintext", 50), 1)} ms p99 ${fmt(p("plaintext", 99), 1)} ms; encrypted (key request and answer included) p50 ${fmt(p("encrypted", 50), 1)} ms p99 ${fmt(p("encrypted", 99), 1)} ms (goal p99 <= 50 ms)${p("encrypted", 99) <= 50 ? "" : "  MISSED"}`);
    if (p("encrypted", 99) > 50) missed++;
  } finally {
    clients.forEach((created) => created.destroy());
    await relay.close();
    await node.stop();
    console.log(`load average after: ${loadAverage()}`);
  }
  if (missed > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
