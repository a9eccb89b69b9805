import { ZeroAddress, id as keccakOfString } from "ethers";

/**
 * A reference model of StreamRegistry's rules, written from the design brief rather than from
 * the contract: plain maps, no packing tricks, no generations. The randomized test runs every
 * call through this model and through the contract and compares the results.
 */

export const FOREVER = 2 ** 40 - 1;
export const PUBLIC = ZeroAddress;
export const PERMISSION_COUNT = 5;
const GRANT = 4;
const PUBLIC_PERMISSIONS: readonly number[] = [2, 3]; // Publish, Subscribe
const ALL_MASK = 0x1f;
const MAX_PATH_BYTES = 255;
const PATH = /^(\/[A-Za-z0-9._-]+)+$/;

/** Expiry per permission (index = `Permission`); 0 = not held. Inputs may exceed uint40. */
export type Expiries = readonly number[];
const NONE: Expiries = [0, 0, 0, 0, 0];

export type Operation =
  | { kind: "createStream"; path: string; metadata: string }
  | { kind: "updateStreamMetadata"; streamId: string; metadata: string }
  | { kind: "deleteStream"; streamId: string }
  | { kind: "grantPermission" | "revokePermission"; streamId: string; user: string; permission: number }
  | { kind: "revokeAllPermissionsForUser"; streamId: string; user: string }
  | { kind: "grantPermissions" | "setPermissions"; streamId: string; users: string[]; expiries: Expiries[] }
  | { kind: "revokePermissions"; streamId: string; users: string[]; masks: number[] }
  | { kind: "setPermissionsMultipleStreams"; streamIds: string[]; users: string[][]; expiries: Expiries[][] };

/** A transaction: `sender` (checksummed) calls `operation` in a block with this time and number. */
export interface Call {
  sender: string;
  operation: Operation;
  timestamp: number;
  blockNumber: number;
}

export interface StreamState {
  createdAtBlock: number;
  metadata: string;
  /** By checksummed address (the public: the zero address). */
  holders: Map<string, Expiries>;
}

/** Every existing stream, by its exact id. A deleted stream is simply gone. */
export type RegistryState = ReadonlyMap<string, StreamState>;

/** `[eventName, ...args]` with args as ethers decodes them (uints as bigint, addresses checksummed). */
export type ModelEvent = readonly unknown[];
/** A custom error and its args; the name "" stands for a revert without data (ABI decoding). */
export interface ModelError {
  name: string;
  args: readonly unknown[];
}
export interface Outcome {
  error?: ModelError;
  events: ModelEvent[];
}

class Revert extends Error {
  constructor(readonly error: ModelError) {
    super(error.name);
  }
}

function revert(name: string, ...args: unknown[]): never {
  throw new Revert({ name, args });
}

export const emptyRegistry: RegistryState = new Map();

export function streamKey(streamId: string): string {
  return keccakOfString(streamId);
}

export function packExpiries(expiries: Expiries): bigint {
  return expiries.reduce((packed, expiry, p) => packed | (BigInt(expiry) << BigInt(40 * p)), 0n);
}

export function isValidPath(path: string): boolean {
  return PATH.test(path) && Buffer.byteLength(path) <= MAX_PATH_BYTES;
}

// ------------------------------------------------------------------------------------- views

export function expiriesOf(state: RegistryState, streamId: string, holder: string): Expiries {
  return state.get(streamId)?.holders.get(holder) ?? NONE;
}

export function holds(expiries: Expiries, permission: number, now: number): boolean {
  return expiries[permission] > now;
}

export function hasDirectPermission(state: RegistryState, streamId: string, user: string, p: number, now: number): boolean {
  return holds(expiriesOf(state, streamId, user), p, now);
}

export function hasPublicPermission(state: RegistryState, streamId: string, p: number, now: number): boolean {
  return hasDirectPermission(state, streamId, PUBLIC, p, now);
}

export function hasPermission(state: RegistryState, streamId: string, user: string, p: number, now: number): boolean {
  return (
    hasDirectPermission(state, streamId, user, p, now) ||
    (PUBLIC_PERMISSIONS.includes(p) && hasPublicPermission(state, streamId, p, now))
  );
}

// ------------------------------------------------------------------------------------ writes

/** What `call` does to `state`: the new state and events, or the revert (state unchanged). */
export function applyCall(state: RegistryState, call: Call): { state: RegistryState; outcome: Outcome } {
  const draft = new Map([...state].map(([id, s]) => [id, { ...s, holders: new Map(s.holders) }]));
  const events: ModelEvent[] = [];
  try {
    execute({ draft, events, call });
    return { state: draft, outcome: { events } };
  } catch (error) {
    if (error instanceof Revert) return { state, outcome: { error: error.error, events: [] } };
    throw error;
  }
}

interface Execution {
  draft: Map<string, StreamState>;
  events: ModelEvent[];
  call: Call;
}

function execute(x: Execution): void {
  const op = x.call.operation;
  switch (op.kind) {
    case "createStream":
      return createStream(x, op.path, op.metadata);
    case "updateStreamMetadata": {
      authorize(x, op.streamId, 0).metadata = op.metadata;
      x.events.push(["StreamMetadataUpdated", streamKey(op.streamId), op.metadata]);
      return;
    }
    case "deleteStream":
      authorize(x, op.streamId, 1);
      x.draft.delete(op.streamId);
      x.events.push(["StreamDeleted", streamKey(op.streamId)]);
      return;
    case "grantPermission": {
      checkPermissionIndex(op.permission);
      const stream = authorize(x, op.streamId, GRANT);
      if (op.user === PUBLIC && !PUBLIC_PERMISSIONS.includes(op.permission)) {
        revert("PublicPermissionNotAllowed", BigInt(op.permission));
      }
      const next = [...(stream.holders.get(op.user) ?? NONE)];
      next[op.permission] = FOREVER;
      return store(x, op.streamId, op.user, next);
    }
    case "revokePermission":
      checkPermissionIndex(op.permission);
      return revokeOne(x, op.streamId, op.user, 1 << op.permission);
    case "revokeAllPermissionsForUser":
      return revokeOne(x, op.streamId, op.user, ALL_MASK);
    case "grantPermissions":
    case "setPermissions":
      return writeExpiries(x, op.streamId, op.users, op.expiries, op.kind === "grantPermissions");
    case "revokePermissions": {
      if (op.users.length !== op.masks.length) revert("LengthMismatch");
      existing(x, op.streamId);
      const callerMayGrant = hasDirectPermission(x.draft, op.streamId, x.call.sender, GRANT, x.call.timestamp);
      op.users.forEach((user, i) => revokeFrom(x, op.streamId, user, op.masks[i], callerMayGrant));
      return;
    }
    case "setPermissionsMultipleStreams":
      if (op.streamIds.length !== op.users.length || op.streamIds.length !== op.expiries.length) revert("LengthMismatch");
      op.streamIds.forEach((streamId, s) => writeExpiries(x, streamId, op.users[s], op.expiries[s], false));
      return;
  }
}

function createStream(x: Execution, path: string, metadata: string): void {
  if (!isValidPath(path)) revert("InvalidStreamPath", path);
  const streamId = x.call.sender.toLowerCase() + path;
  if (x.draft.has(streamId)) revert("StreamAlreadyExists", streamId);
  const all = Array(PERMISSION_COUNT).fill(FOREVER);
  x.draft.set(streamId, { createdAtBlock: x.call.blockNumber, metadata, holders: new Map() });
  x.events.push(["StreamCreated", streamKey(streamId), streamId, metadata]);
  store(x, streamId, x.call.sender, all);
}

/** A permission index outside the enum fails ABI decoding, before any rule. */
function checkPermissionIndex(permission: number): void {
  if (permission >= PERMISSION_COUNT) revert("");
}

function existing(x: Execution, streamId: string): StreamState {
  return x.draft.get(streamId) ?? revert("StreamNotFound", streamId);
}

function authorize(x: Execution, streamId: string, required: number): StreamState {
  const stream = existing(x, streamId);
  if (!hasDirectPermission(x.draft, streamId, x.call.sender, required, x.call.timestamp)) {
    revert("Unauthorized", streamId, x.call.sender, BigInt(required));
  }
  return stream;
}

/** A holder's new expiries and their event; a change that changes nothing stores and emits nothing. */
function store(x: Execution, streamId: string, holder: string, expiries: Expiries): void {
  const holders = existing(x, streamId).holders;
  const old = holders.get(holder) ?? NONE;
  if (expiries.every((e, p) => e === old[p])) return;
  holders.set(holder, expiries);
  x.events.push(["PermissionsUpdated", streamKey(streamId), holder, packExpiries(expiries)]);
}

/** grantPermissions (`merge`: zero entries leave the old expiry) and setPermissions (overwrite). */
function writeExpiries(x: Execution, streamId: string, users: string[], expiries: Expiries[], merge: boolean): void {
  if (users.length !== expiries.length) revert("LengthMismatch");
  const stream = authorize(x, streamId, GRANT);
  users.forEach((user, i) => {
    checkGrantable(user, expiries[i], x.call.timestamp);
    const old = stream.holders.get(user) ?? NONE;
    store(x, streamId, user, merge ? expiries[i].map((e, p) => (e === 0 ? old[p] : e)) : expiries[i]);
  });
}

function checkGrantable(user: string, expiries: Expiries, now: number): void {
  if (expiries.some((e) => e > FOREVER)) revert(""); // not a uint40: what the ABI decoder rejects
  const granted = expiries.map((e, p) => (e === 0 ? -1 : p)).filter((p) => p >= 0);
  const forbidden = user === PUBLIC ? granted.filter((p) => !PUBLIC_PERMISSIONS.includes(p)) : [];
  if (forbidden.length > 0) revert("PublicPermissionNotAllowed", BigInt(forbidden[0]));
  const earliest = Math.min(...expiries.filter((e) => e !== 0));
  if (earliest <= now) revert("ExpiryInPast", BigInt(earliest));
}

function revokeOne(x: Execution, streamId: string, user: string, mask: number): void {
  existing(x, streamId);
  const mayGrant = user === x.call.sender || hasDirectPermission(x.draft, streamId, x.call.sender, GRANT, x.call.timestamp);
  revokeFrom(x, streamId, user, mask, mayGrant);
}

/** Anyone may renounce their own permissions; revoking another's needs Grant. */
function revokeFrom(x: Execution, streamId: string, user: string, mask: number, callerMayGrant: boolean): void {
  if (mask > ALL_MASK) revert("InvalidPermissionMask", BigInt(mask));
  if (user !== x.call.sender && !callerMayGrant) revert("Unauthorized", streamId, x.call.sender, BigInt(GRANT));
  const old = existing(x, streamId).holders.get(user) ?? NONE;
  store(x, streamId, user, old.map((e, p) => (mask & (1 << p) ? 0 : e)));
}
