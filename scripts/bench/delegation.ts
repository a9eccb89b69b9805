// Part of `npm run bench:messages`: validation of messages published under a delegation
// (session key) or an access grant, against plain messages, in the same run and process.
// The delegation's or grant's signature is recovered once per validator (a memo), so each
// message costs about what a plain one does: the goal is >= 0.9x plain, per round, median.
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Address, Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import {
  createMessageValidator,
  createPublisher,
  FOREVER,
  getCryptoBackend,
  PUBLISH_BIT,
  randomSalt,
  signAccessGrant,
  signDelegation,
  type MessageDomain,
  type MessageSigner,
  type PermissionSource,
} from "../../sdk";
import { privateKeySigner } from "../../sdk/message";

const COUNT = 4_000;
const ROUNDS = 7;
const CHUNK = 250;
const CONTENT_BYTES = 200;
const GOAL_RATIO = 0.9;
const HOLDER_KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const GRANTEE_KEY: Hex = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const SESSION_KEY: Hex = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const address = (key: Hex) => privateKeyToAddress(key).toLowerCase() as Address;
const HOLDER = address(HOLDER_KEY);
const STREAM_ID = `${HOLDER}/bench`;
const EXPECTED = { streamId: STREAM_ID, partition: 0 };
const DOMAIN: MessageDomain = { chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
/** Every right held forever, as a warm permission cache answers. */
const PERMISSIONS: PermissionSource = { getPermissionExpiry: async () => FOREVER };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function seconds(run: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * `COUNT` messages as they arrive from the wire (fresh parsed JSON), carrying `extra`.
 * Timestamps are in the past, one ms apart, so the clock-skew check passes.
 */
async function messages(signer: MessageSigner, chain: string, extra: object = {}): Promise<unknown[]> {
  let time = Date.now() - COUNT - 1_000;
  const publisher = createPublisher({ streamId: STREAM_ID, signer, domain: DOMAIN, msgChainId: chain, now: () => time++ });
  const content = new Uint8Array(CONTENT_BYTES);
  const out: unknown[] = [];
  for (let i = 0; i < COUNT; i++) out.push(JSON.stringify({ ...(await publisher.publish(content.fill(i % 251))), ...extra }));
  return out.map((json) => JSON.parse(json as string));
}

async function round(index: number) {
  const expiresAt = Math.floor(Date.now() / 1000) + 3600;
  const delegation = await signDelegation(
    { delegate: address(SESSION_KEY), streamIds: [STREAM_ID], permissions: PUBLISH_BIT, expiresAt, salt: randomSalt() },
    { signer: HOLDER_KEY, domain: DOMAIN },
  );
  const grant = await signAccessGrant(
    { grantee: address(GRANTEE_KEY), streamId: STREAM_ID, permissions: PUBLISH_BIT, expiresAt, salt: randomSalt() },
    { signer: HOLDER_KEY, domain: DOMAIN },
  );
  const session: MessageSigner = { getAddress: () => HOLDER, sign: privateKeySigner(SESSION_KEY).sign };
  const kinds = {
    plain: await messages(privateKeySigner(HOLDER_KEY), `plain-${index}`),
    delegated: await messages(session, `delegated-${index}`, { delegation }),
    granted: await messages(privateKeySigner(GRANTEE_KEY), `granted-${index}`, { grant }),
  };
  const validators = {
    plain: createMessageValidator({ domain: DOMAIN, permissions: PERMISSIONS }),
    delegated: createMessageValidator({ domain: DOMAIN, permissions: PERMISSIONS }),
    granted: createMessageValidator({ domain: DOMAIN, permissions: PERMISSIONS }),
  };
  // The three alternate in chunks, so that load from other processes hits them alike, each
  // chunk in another order, so that none always runs after the garbage of another.
  const time = { plain: 0, delegated: 0, granted: 0 };
  const order = ["plain", "delegated", "granted"] as const;
  for (let from = 0; from < COUNT; from += CHUNK) {
    const shift = from / CHUNK;
    for (const kind of order.map((_, i) => order[(i + shift) % order.length])) {
      time[kind] += await seconds(async () => {
        for (let i = from; i < from + CHUNK; i++) await validators[kind].validate(kinds[kind][i], EXPECTED);
      });
    }
  }
  return { plain: COUNT / time.plain, delegated: COUNT / time.delegated, granted: COUNT / time.granted };
}

async function main(): Promise<void> {
  const loadBefore = Number(os.loadavg()[0].toFixed(2));
  await round(-1); // warm-up: JIT, native addons, caches
  const rounds: Array<Awaited<ReturnType<typeof round>>> = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await round(i));
  const figure = (kind: keyof (typeof rounds)[number]) => Math.round(median(rounds.map((r) => r[kind])));
  const ratio = (kind: "delegated" | "granted") => Number(median(rounds.map((r) => r[kind] / r.plain)).toFixed(3));
  const results = {
    measuredAt: new Date().toISOString(),
    backend: getCryptoBackend(),
    messages: COUNT,
    contentBytes: CONTENT_BYTES,
    rounds: ROUNDS,
    loadAverage: { before: loadBefore, after: Number(os.loadavg()[0].toFixed(2)) },
    opsPerSecond: { plain: figure("plain"), delegated: figure("delegated"), granted: figure("granted") },
    delegatedRatio: ratio("delegated"),
    grantedRatio: ratio("granted"),
  };
  const goals = { delegatedRatio: results.delegatedRatio >= GOAL_RATIO, grantedRatio: results.grantedRatio >= GOAL_RATIO };

  const verdict = (met: boolean) => (met ? "met" : "MISSED");
  const line = (label: string, value: number) => console.log(`${label.padEnd(48)}${value.toLocaleString("en-US").padStart(10)} /s`);
  console.log(`\ndelegation: ${COUNT} messages of ${CONTENT_BYTES} bytes per kind; median of ${ROUNDS} rounds`);
  console.log(`load average (1 min) before ${loadBefore}, after ${results.loadAverage.after} on ${os.cpus().length} cores`);
  line("SDK verify, plain message", results.opsPerSecond.plain);
  line("SDK verify, message under a delegation", results.opsPerSecond.delegated);
  line("SDK verify, message under an access grant", results.opsPerSecond.granted);
  console.log(`delegated / plain ${results.delegatedRatio} (goal >= ${GOAL_RATIO}: ${verdict(goals.delegatedRatio)})`);
  console.log(`granted / plain ${results.grantedRatio} (goal >= ${GOAL_RATIO}: ${verdict(goals.grantedRatio)})`);

  const out = path.join(__dirname, "../../bench-results/delegation.json");
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ ...results, goals }, null, 2) + "\n");
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  if (!Object.values(goals).every(Boolean)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
