import { takeSnapshot, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { deployRegistryFixture } from "./fixtures";
import { sendOperation, sendSignedOperation, type Registry } from "./model/onChain";
import { mulberry32 } from "./model/prng";
import { holdersOf, randomStep, type Step, streamIdsOf, type World } from "./model/randomStep";
import { applyCall, emptyRegistry, type Outcome, type RegistryState } from "./model/registryModel";
import { chainHeldView, chainStoredView, modelHeldView, modelStoredView } from "./model/streamView";

/**
 * Model-based randomized test: random operations by several accounts run against the contract
 * and against the reference model in ./model. After every call the revert (error and args) and
 * the events must agree, then the views of every stream the call touched: all of them after a
 * success, the stored ones (exists, metadata, creation block, every holder's expiries) after a
 * revert, which must have changed nothing. After a jump in time, the has* views of every stream
 * with an expiry in the jumped interval (or one second after it); and every stream of the run,
 * all views, every FULL_CHECK_EVERY steps and at the end. About half of the calls are sent as
 * their `…BySig` twin, signed by the model's sender and sent by another account: the model
 * expects exactly the same outcome (which calls, from a PRNG of their own, so that a seed
 * replays the same operations as before signed changes existed). KEYWAY_MODEL_SEED and KEYWAY_MODEL_OPS
 * choose another run; a failure names the seed and step to replay.
 */

const SEED = nonNegativeInteger("KEYWAY_MODEL_SEED", 20261123);
const OPS = nonNegativeInteger("KEYWAY_MODEL_OPS", 1000);
/** Every so many steps, compare every stream of the run, not only those the step touched. */
const FULL_CHECK_EVERY = 200;

const WORLD_PATHS = {
  validPaths: ["/a", "/b/c.d", "/" + "x".repeat(254)],
  invalidPaths: ["", "/", "//", "/a/", "/a//b", "a", "/a b", "/a:b", "/caf\u00e9", "/" + "x".repeat(255)],
};

/** Errors every default run must produce, so that the test cannot quietly stop testing them. */
const EXPECTED_ERRORS = [
  "StreamNotFound",
  "StreamAlreadyExists",
  "InvalidStreamPath",
  "Unauthorized",
  "PublicPermissionNotAllowed",
  "LengthMismatch",
  "ExpiryInPast",
  "InvalidPermissionMask",
  "",
];

function nonNegativeInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

/** bigints become strings so that chai prints readable diffs; everything else compares as is. */
function comparable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? `${v}n` : v)));
}

function describeStep(step: Step): string {
  return JSON.stringify(step, (_key, v) => (typeof v === "string" && v.length > 60 ? `${v.slice(0, 20)}...(${v.length} chars)` : v));
}

/** The streams whose state a step may change or whose absence it relies on. */
function touchedStreams(step: Extract<Step, { kind: "call" }>): string[] {
  const op = step.operation;
  if (op.kind === "createStream") return [step.sender.toLowerCase() + op.path];
  if (op.kind === "setPermissionsMultipleStreams") return [...new Set(op.streamIds)];
  return [op.streamId];
}

/** Streams holding an expiry in (from, to]: their has* answers may have changed by time alone. */
function streamsWithExpiryIn(state: RegistryState, from: number, to: number): string[] {
  return [...state].filter(([, s]) => [...s.holders.values()].some((e) => e.some((t) => t > from && t <= to))).map(([id]) => id);
}

/** "ok", "unchanged" (a success that wrote nothing and emitted nothing), or the error's name. */
function outcomeName(outcome: Outcome): string {
  if (outcome.error !== undefined) return outcome.error.name || "(no data)";
  return outcome.events.length === 0 ? "unchanged" : "ok";
}

describe("StreamRegistry against its reference model", function () {
  // Generous: instrumented for coverage, a run is several times slower.
  this.timeout(Math.max(120_000, OPS * 600));

  it(`agrees with the model over ${OPS} random steps (seed ${SEED})`, async () => {
    const snapshot = await takeSnapshot();
    try {
      await run();
    } finally {
      await snapshot.restore();
    }
  });
});

async function run(): Promise<void> {
  const { registry: contract, creator, alice, bob, carol, others } = await deployRegistryFixture();
  const signers = new Map([creator, alice, bob, carol].map((s) => [s.address, s]));
  const chainId = Number((await contract.runner!.provider!.getNetwork()).chainId);
  const signRng = mulberry32(SEED ^ 0x5151);
  let signedSteps = 0;
  const registry: Registry = { provider: hre.network.provider, address: await contract.getAddress(), abi: contract.interface };
  const world: World = { accounts: [creator.address, alice.address, bob.address, carol.address], ...WORLD_PATHS };
  const holders = holdersOf(world);
  const everyStream = streamIdsOf(world);
  const rng = mulberry32(SEED);
  const seen = new Map<string, number>();

  let state: RegistryState = emptyRegistry;
  let now = await time.latest();
  let where = "";

  const compareStored = async (streamIds: string[]) => {
    for (const id of streamIds) {
      const actual = await chainStoredView(registry, id, holders);
      expect(comparable(actual), `${where}\nstored views of ${id}`).to.deep.equal(comparable(modelStoredView(state, id, holders)));
    }
  };
  const compareHeld = async (streamIds: string[]) => {
    for (const id of streamIds) {
      const actual = await chainHeldView(registry, id, holders);
      expect(comparable(actual), `${where}\nhas* views of ${id} at ${now}`).to.deep.equal(comparable(modelHeldView(state, id, holders, now)));
    }
  };
  const compareAll = async (streamIds: string[]) => {
    await compareStored(streamIds);
    await compareHeld(streamIds);
  };

  for (let i = 0; i < OPS; i++) {
    const step = randomStep(rng, world, state, now);
    where =
      `model mismatch at seed ${SEED}, step ${i}: ${describeStep(step)}\n` +
      `replay: KEYWAY_MODEL_SEED=${SEED} KEYWAY_MODEL_OPS=${i + 1} npx hardhat test test/contracts/StreamRegistry.model.test.ts`;
    if (step.kind === "timeTravel") {
      await time.increaseTo(step.to);
      const before = now;
      now = step.to;
      await compareHeld(streamsWithExpiryIn(state, before, now + 1));
      continue;
    }
    const timestamp = now + 1;
    const blockNumber = Number(await hre.network.provider.request({ method: "eth_blockNumber" })) + 1;
    await time.setNextBlockTimestamp(timestamp);
    const expected = applyCall(state, { sender: step.sender, operation: step.operation, timestamp, blockNumber });
    const signing = signRng.chance(0.5) ? { signer: signers.get(step.sender)!, relayer: others[0].address, nonce: BigInt(i), chainId } : undefined;
    const signed = signing && (await sendSignedOperation(registry, step.operation, signing));
    if (signed !== undefined) signedSteps++;
    const actual = signed ?? (await sendOperation(registry, step.sender, step.operation));
    expect(comparable(actual), `${where}\noutcome`).to.deep.equal(comparable(expected.outcome));
    // Reverted transactions are mined too: the chain's time is the one the model used.
    expect(await time.latest(), `${where}\nblock time`).to.equal(timestamp);
    state = expected.state;
    now = timestamp;
    const name = `${step.operation.kind}: ${outcomeName(expected.outcome)}`;
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if (i % FULL_CHECK_EVERY === FULL_CHECK_EVERY - 1) await compareAll(everyStream);
    else if (expected.outcome.error === undefined) await compareAll(touchedStreams(step));
    else await compareStored(touchedStreams(step));
  }
  where = `final state, seed ${SEED} after ${OPS} steps`;
  await compareAll(everyStream);

  console.log(`      outcomes over ${OPS} steps (seed ${SEED}, ${signedSteps} of them signed): ${[...seen].sort().map(([k, n]) => `${k} ${n}`).join(", ")}`);
  if (OPS >= 1000) expectEveryPathExercised(seen);
}

/** A run that never reaches some error, or never succeeds with some operation, proves less than it seems. */
function expectEveryPathExercised(seen: Map<string, number>): void {
  const names = [...seen.keys()];
  const errors = new Set(names.map((n) => n.split(": ")[1]));
  const missingErrors = EXPECTED_ERRORS.map((e) => e || "(no data)").filter((e) => !errors.has(e));
  expect(missingErrors, "errors the run never produced").to.deep.equal([]);
  const succeeded = new Set(names.filter((n) => n.endsWith(": ok") || n.endsWith(": unchanged")).map((n) => n.split(":")[0]));
  const kinds = [
    "createStream",
    "updateStreamMetadata",
    "deleteStream",
    "grantPermission",
    "revokePermission",
    "revokeAllPermissionsForUser",
    "grantPermissions",
    "revokePermissions",
    "setPermissions",
    "setPermissionsMultipleStreams",
  ];
  expect(kinds.filter((k) => !succeeded.has(k)), "operations that never succeeded").to.deep.equal([]);
  const permissionWrites = kinds.slice(3);
  expect(permissionWrites.filter((k) => !seen.has(`${k}: unchanged`)), "permission writes that never ran as a no-op").to.deep.equal([]);
}
