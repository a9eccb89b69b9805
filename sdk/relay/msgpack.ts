import * as msgpackr from "msgpackr";

/** MessagePack for the binary frames: on Node it loads with the SDK (sdk/relay/msgpack.browser.ts defers it in browsers). */
export type Msgpackr = typeof msgpackr;

/** The codec when loaded: always, on Node. */
export function loadedMsgpackr(): Msgpackr | undefined {
  return msgpackr;
}

/** Resolves with the codec: already there, on Node. */
export async function loadMsgpackr(): Promise<Msgpackr> {
  return msgpackr;
}
