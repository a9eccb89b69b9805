import type { Prng } from "./prng";
import { type Expiries, FOREVER, type Operation, PERMISSION_COUNT, PUBLIC, type RegistryState, holds } from "./registryModel";

/**
 * Random steps for the model-based test: mostly calls that can succeed (so that state builds
 * up), mixed with every kind of invalid one, and jumps in time that often land exactly on an
 * expiry or one second before it.
 */

export type Step = { kind: "call"; sender: string; operation: Operation } | { kind: "timeTravel"; to: number };

export interface World {
  /** Checksummed addresses of the accounts that send transactions. */
  accounts: readonly string[];
  validPaths: readonly string[];
  invalidPaths: readonly string[];
}

/** Every stream id the run can create, plus the checksummed (so: missing) form of each. */
export function streamIdsOf(world: World): string[] {
  const ids = world.accounts.flatMap((a) => world.validPaths.map((path) => a.toLowerCase() + path));
  return [...ids, ...world.accounts.map((a) => a + world.validPaths[0])];
}

/** Holders whose state the test compares: every account and the public. */
export function holdersOf(world: World): string[] {
  return [...world.accounts, PUBLIC];
}

const GRANT = 4;
/** How often a write names its own sender: often enough to renounce, rarely enough that streams keep a granter. */
const SELF_IN_REVOCATIONS = 0.25;
const SELF_IN_WRITES = 0.1;

const STEP_WEIGHTS = {
  createStream: 8,
  updateStreamMetadata: 5,
  deleteStream: 3,
  grantPermission: 9,
  revokePermission: 7,
  revokeAllPermissionsForUser: 5,
  grantPermissions: 14,
  revokePermissions: 10,
  setPermissions: 14,
  setPermissionsMultipleStreams: 9,
  timeTravel: 6,
} as const;

/** What a step is drawn from. `txTime`: the time of the block a call will run in. */
interface Draw {
  rng: Prng;
  world: World;
  state: RegistryState;
  txTime: number;
}

/** `now`: the time of the latest block; a call runs in a block at `now + 1`. */
export function randomStep(rng: Prng, world: World, state: RegistryState, now: number): Step {
  const d: Draw = { rng, world, state, txTime: now + 1 };
  const kind = rng.weighted(STEP_WEIGHTS);
  return kind === "timeTravel" ? { kind, to: travelTarget(d, now) } : randomCall(d, kind);
}

function randomCall(d: Draw, kind: Exclude<keyof typeof STEP_WEIGHTS, "timeTravel">): Step {
  const { rng, world } = d;
  const call = (sender: string, operation: Operation): Step => ({ kind: "call", sender, operation });
  switch (kind) {
    case "createStream": {
      const path = rng.chance(0.75) ? rng.pick(world.validPaths) : rng.pick(world.invalidPaths);
      return call(rng.pick(world.accounts), { kind, path, metadata: metadata(d) });
    }
    case "updateStreamMetadata": {
      const streamId = anyStreamId(d, 0);
      return call(sender(d, streamId, 0), { kind, streamId, metadata: metadata(d) });
    }
    case "deleteStream": {
      const streamId = anyStreamId(d, 1);
      return call(sender(d, streamId, 1), { kind, streamId });
    }
    case "grantPermission":
    case "revokePermission": {
      const streamId = anyStreamId(d, GRANT);
      const from = sender(d, streamId, GRANT);
      const permission = rng.chance(0.02) ? PERMISSION_COUNT : rng.int(0, PERMISSION_COUNT - 1);
      const self = kind === "revokePermission" ? SELF_IN_REVOCATIONS : SELF_IN_WRITES;
      return call(from, { kind, streamId, user: user(d, from, self), permission });
    }
    case "revokeAllPermissionsForUser": {
      const streamId = anyStreamId(d, GRANT);
      const from = sender(d, streamId, GRANT);
      return call(from, { kind, streamId, user: user(d, from, SELF_IN_REVOCATIONS) });
    }
    case "grantPermissions":
    case "setPermissions": {
      const streamId = anyStreamId(d, GRANT);
      const from = sender(d, streamId, GRANT);
      return call(from, { kind, streamId, ...expiriesBatch(d, from) });
    }
    case "revokePermissions": {
      const streamId = anyStreamId(d, GRANT);
      const from = sender(d, streamId, GRANT);
      const users = batchUsers(d, from, SELF_IN_REVOCATIONS);
      const mask = () => (rng.chance(0.06) ? rng.int(0x20, 0xff) : rng.int(0, 0x1f));
      return call(from, { kind, streamId, users, masks: mismatched(d, users.map(mask), mask) });
    }
    case "setPermissionsMultipleStreams": {
      const streamIds = Array.from({ length: rng.int(1, 3) }, () => anyStreamId(d, GRANT));
      const from = sender(d, streamIds[0], GRANT);
      const batches = streamIds.map(() => expiriesBatch(d, from));
      return call(from, {
        kind,
        streamIds: mismatched(d, streamIds, () => anyStreamId(d, GRANT)),
        users: batches.map((b) => b.users),
        expiries: batches.map((b) => b.expiries),
      });
    }
  }
}

/** A later time: a few seconds on, or exactly (or one second before) a stored expiry. */
function travelTarget(d: Draw, now: number): number {
  const upcoming = storedExpiries(d).filter((e) => e > now + 1 && e < FOREVER);
  const roll = d.rng.next();
  if (upcoming.length > 0 && roll < 0.4) return d.rng.pick(upcoming);
  if (upcoming.length > 0 && roll < 0.6) return d.rng.pick(upcoming) - 1;
  return now + d.rng.int(1, 40);
}

function storedExpiries(d: Draw): number[] {
  return [...d.state.values()].flatMap((s) => [...s.holders.values()].flat()).filter((e) => e > 0);
}

function metadata(d: Draw): string {
  return d.rng.pick(["", "{}", '{"partitions":1}', `m${d.rng.int(0, 999)}`]);
}

/**
 * Mostly an existing stream on which some account holds `permission` (so the call can get
 * through), sometimes any existing stream, sometimes any id of the run, which may be missing.
 */
function anyStreamId(d: Draw, permission: number): string {
  const existing = [...d.state.keys()];
  const usable = existing.filter((id) => accountsHolding(d, id, permission).length > 0);
  const roll = d.rng.next();
  if (usable.length > 0 && roll < 0.75) return d.rng.pick(usable);
  if (existing.length > 0 && roll < 0.9) return d.rng.pick(existing);
  return d.rng.pick(streamIdsOf(d.world));
}

function accountsHolding(d: Draw, streamId: string, permission: number): string[] {
  return [...(d.state.get(streamId)?.holders ?? [])]
    .filter(([holder, expiries]) => holder !== PUBLIC && holds(expiries, permission, d.txTime))
    .map(([holder]) => holder);
}

/** Mostly an account holding `permission` on the stream, so that calls get through. */
function sender(d: Draw, streamId: string, permission: number): string {
  const holders = accountsHolding(d, streamId, permission);
  return holders.length > 0 && d.rng.chance(0.8) ? d.rng.pick(holders) : d.rng.pick(d.world.accounts);
}

/** Any holder; the sender itself (for a revocation: a renounce) with probability `self`. */
function user(d: Draw, from: string, self: number): string {
  return d.rng.chance(self) ? from : d.rng.pick(holdersOf(d.world));
}

/** 0-4 users, drawn with replacement, so batches often name a user twice. */
function batchUsers(d: Draw, from: string, self: number): string[] {
  return Array.from({ length: d.rng.int(0, 4) }, () => user(d, from, self));
}

function expiriesBatch(d: Draw, from: string): { users: string[]; expiries: Expiries[] } {
  const users = batchUsers(d, from, SELF_IN_WRITES);
  return { users, expiries: mismatched(d, users.map((u) => expiries(d, u)), () => expiries(d, PUBLIC)) };
}

function expiries(d: Draw, holder: string): Expiries {
  // The public mostly asks only for what it may hold, so that batches with it can succeed;
  // sometimes for anything, so that several forbidden permissions meet in one entry.
  const greedy = holder === PUBLIC && d.rng.chance(0.15);
  const allowed = (p: number) => holder !== PUBLIC || p === 2 || p === 3 || greedy;
  // Grant mostly goes to an account for good: a stream nobody can grant on any more is dead weight.
  const lasting = (p: number) => p === GRANT && holder !== PUBLIC && d.rng.chance(0.6);
  return Array.from({ length: PERMISSION_COUNT }, (_, p) =>
    lasting(p) ? FOREVER : allowed(p) && d.rng.chance(0.55) ? expiry(d) : 0,
  );
}

function expiry(d: Draw): number {
  const { rng, txTime } = d;
  switch (rng.weighted({ forever: 30, soon: 52, stored: 6, now: 4, past: 4, overflow: 1.5, one: 2.5 })) {
    case "forever":
      return FOREVER;
    case "soon":
      return txTime + rng.int(1, 60);
    case "stored": {
      const stored = storedExpiries(d);
      return stored.length > 0 ? rng.pick(stored) : FOREVER;
    }
    case "now":
      return txTime;
    case "past":
      return Math.max(1, txTime - rng.int(1, 100));
    case "overflow":
      return FOREVER + rng.int(1, 2 ** 40);
    case "one":
      return 1;
  }
}

/** Sometimes one entry too many or too few: LengthMismatch. */
function mismatched<T>(d: Draw, items: T[], extra: () => T): T[] {
  if (!d.rng.chance(0.05)) return items;
  return items.length > 0 && d.rng.chance(0.5) ? items.slice(1) : [...items, extra()];
}
