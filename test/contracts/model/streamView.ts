import { callView, type Registry } from "./onChain";
import {
  expiriesOf,
  hasDirectPermission,
  hasPermission,
  hasPublicPermission,
  type ModelError,
  PERMISSION_COUNT,
  type RegistryState,
} from "./registryModel";

/**
 * What the registry's views say about one stream, from the model and from the chain, in two
 * parts: what is stored (changed only by writes) and what is held now (changed by time too).
 */

export interface StoredView {
  exists: boolean;
  metadata: string | ModelError;
  creationBlock: number | ModelError;
  /** getPermissionsForUser, by holder. */
  expiries: Record<string, number[]>;
}

export interface HeldView {
  hasPublicPermission: boolean[];
  /** By holder, one answer per permission. */
  hasPermission: Record<string, boolean[]>;
  hasDirectPermission: Record<string, boolean[]>;
}

const PERMISSIONS = Array.from({ length: PERMISSION_COUNT }, (_, p) => p);

export function modelStoredView(state: RegistryState, streamId: string, holders: readonly string[]): StoredView {
  const stream = state.get(streamId);
  const notFound: ModelError = { name: "StreamNotFound", args: [streamId] };
  return {
    exists: stream !== undefined,
    metadata: stream?.metadata ?? notFound,
    creationBlock: stream?.createdAtBlock ?? notFound,
    expiries: Object.fromEntries(holders.map((h) => [h, [...expiriesOf(state, streamId, h)]])),
  };
}

export function modelHeldView(state: RegistryState, streamId: string, holders: readonly string[], now: number): HeldView {
  const byHolder = (answer: (holder: string, p: number) => boolean) =>
    Object.fromEntries(holders.map((h) => [h, PERMISSIONS.map((p) => answer(h, p))]));
  return {
    hasPublicPermission: PERMISSIONS.map((p) => hasPublicPermission(state, streamId, p, now)),
    hasPermission: byHolder((h, p) => hasPermission(state, streamId, h, p, now)),
    hasDirectPermission: byHolder((h, p) => hasDirectPermission(state, streamId, h, p, now)),
  };
}

export async function chainStoredView(registry: Registry, streamId: string, holders: readonly string[]): Promise<StoredView> {
  const creationBlock = await view(registry, "getStreamCreationBlock", [streamId]);
  const expiries: StoredView["expiries"] = {};
  for (const h of holders) expiries[h] = ((await view(registry, "getPermissionsForUser", [streamId, h])) as bigint[]).map(Number);
  return {
    exists: (await view(registry, "exists", [streamId])) as boolean,
    metadata: (await view(registry, "getStreamMetadata", [streamId])) as string | ModelError,
    creationBlock: typeof creationBlock === "bigint" ? Number(creationBlock) : (creationBlock as ModelError),
    expiries,
  };
}

/** The views run in the latest block, so they answer for its time. */
export async function chainHeldView(registry: Registry, streamId: string, holders: readonly string[]): Promise<HeldView> {
  const answers = async (name: string, args: (p: number) => unknown[]) => {
    const result: boolean[] = [];
    for (const p of PERMISSIONS) result.push((await view(registry, name, args(p))) as boolean);
    return result;
  };
  const held: HeldView = { hasPublicPermission: await answers("hasPublicPermission", (p) => [streamId, p]), hasPermission: {}, hasDirectPermission: {} };
  for (const h of holders) {
    held.hasPermission[h] = await answers("hasPermission", (p) => [streamId, h, p]);
    held.hasDirectPermission[h] = await answers("hasDirectPermission", (p) => [streamId, h, p]);
  }
  return held;
}

/** One view's decoded answer, or the error it reverted with. */
async function view(registry: Registry, name: string, args: unknown[]): Promise<unknown> {
  const answer = await callView(registry, encoded(registry, name, args));
  return "error" in answer ? answer.error : registry.abi.decodeFunctionResult(name, answer.result)[0];
}

/** The same few thousand view calls are made over and over: encode each once. */
const calldata = new Map<string, string>();
function encoded(registry: Registry, name: string, args: unknown[]): string {
  const key = `${name}|${args.join("|")}`;
  let data = calldata.get(key);
  if (data === undefined) {
    data = registry.abi.encodeFunctionData(name, args);
    calldata.set(key, data);
  }
  return data;
}
