import type { Msgpackr } from "./msgpack";

// In browsers msgpackr is a chunk fetched when a connection first offers binary frames: a page
// that never opens a relay connection (or speaks JSON) does not load it.
let loaded: Msgpackr | undefined;
let loading: Promise<Msgpackr> | undefined;

export function loadedMsgpackr(): Msgpackr | undefined {
  return loaded;
}

export function loadMsgpackr(): Promise<Msgpackr> {
  loading ??= import("msgpackr").then(
    (module) => (loaded = module),
    (error: unknown) => {
      loading = undefined; // a failed fetch may be retried
      throw error;
    },
  );
  return loading;
}
