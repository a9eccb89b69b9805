// Validation as `npm run bench:messages` measures it, in the main thread and in its worker
// threads: a MessageValidator whose permissions come from a KeywayClient with a warm cache;
// and its yardstick there, raw native ecdsaRecover of the same messages' digests.
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { KeywayClient } from "../../sdk/client";
import { createMessageValidator, hashStreamMessage, type MessageDomain, type MessageValidator, type SignedStreamMessage, type StreamPartition } from "../../sdk/message";
import { StreamPermission } from "../../sdk/permissions";

/** Where the registry is: a local node and its deployment. */
export interface BenchChain {
  rpcUrl: string;
  registryAddress: string;
  domain: MessageDomain;
}

interface NativeSecp256k1 {
  ecdsaSign(digest: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(signature: Uint8Array, recid: number, digest: Uint8Array, compressed: boolean): Uint8Array;
}
export const native = require("secp256k1/bindings") as NativeSecp256k1;

/** What raw ecdsaRecover takes for one message: made before timing, as the SDK's input is. */
export interface RecoverInput {
  digest: Uint8Array;
  signature: Uint8Array;
  recoveryId: number;
}

/**
 * A client for `publisher`'s Publish on `stream`, its cache warmed by one reading, as a relay's
 * or a subscriber's client is after the first message of a stream.
 */
export async function warmClient(chain: BenchChain, stream: StreamPartition, publisher: string): Promise<KeywayClient> {
  const client = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress });
  const expiry = await client.getPermissionExpiry({ streamId: stream.streamId, userId: publisher, permission: StreamPermission.PUBLISH, allowPublic: true });
  if (expiry === 0) throw new Error(`${publisher} does not hold Publish on ${stream.streamId}`);
  return client;
}

/** Validates every message with a fresh validator, in order, as a relay does. */
export async function validateAll(client: KeywayClient, domain: MessageDomain, stream: StreamPartition, messages: readonly SignedStreamMessage[]): Promise<void> {
  const validator: MessageValidator = createMessageValidator({ domain, permissions: client });
  for (const message of messages) await validator.validate(message, stream);
}

export function recoverInputs(domain: MessageDomain, messages: readonly SignedStreamMessage[]): RecoverInput[] {
  return messages.map((message) => {
    const signature = Buffer.from(message.signature.slice(2), "hex");
    return { digest: hashStreamMessage(message, domain), signature: signature.subarray(0, 64), recoveryId: signature[64] - 27 };
  });
}

export function recoverAll(inputs: readonly RecoverInput[]): void {
  for (const { digest, signature, recoveryId } of inputs) native.ecdsaRecover(signature, recoveryId, digest, false);
}

/** What the main thread asks a worker to run over its messages once. */
export type WorkerTask = "validate" | "recover";

if (!isMainThread) {
  const { chain, stream, messages } = workerData as { chain: BenchChain; stream: StreamPartition; messages: SignedStreamMessage[] };
  const ready = warmClient(chain, stream, messages[0].publisher);
  const inputs = recoverInputs(chain.domain, messages);
  // The main thread terminates the worker when done.
  parentPort!.on("message", async (task: WorkerTask) => {
    if (task === "validate") await validateAll(await ready, chain.domain, stream, messages);
    else recoverAll(inputs);
    parentPort!.postMessage("done");
  });
}
