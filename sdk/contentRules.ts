import { getCachedStreamMetadata } from "./actions/getStreamPartitions";
import type { RegistryContext } from "./context";
import { compileContentSchema, schemaOf } from "./contentSchema";
import type { MaybePromise } from "./delegation/check";
import type { ContentCheck, ContentRules } from "./message/content";
import { streamRefOf } from "./streamId";

/** A schema that cannot be used refuses every message, saying why, rather than letting anything through. */
function unusable(error: Error): ContentCheck {
  const why = `the stream's schema cannot be used (${error.message})`;
  return () => why;
}

/** Compiled rules kept, per stream; beyond it the oldest compiled is dropped (and compiled again when needed). */
const MAX_COMPILED = 1_000;

export interface StreamContentRulesOptions {
  /** Runs a metadata read the cache cannot answer (a relay counts them among its node reads). Default: at once. */
  read?: (read: () => Promise<string>) => Promise<string>;
}

/**
 * The content rules of the registry's streams, for a message validator: each stream's
 * metadata `schema`, read through the context's cache (no request per message once warm) and
 * compiled once per stream and metadata version: a metadata update changes the rule from the
 * next message on. A stream's schema that cannot be used (invalid, too large: set by another
 * tool than this SDK) refuses every message, saying why, rather than letting anything through.
 *
 * @param context - the registry and its cache
 * @param options - `read`, how a metadata read the cache cannot answer is run
 * @returns the rules, for `createMessageValidator({ contentRules })`
 * @example
 * const validator = createMessageValidator({ domain, permissions: client, contentRules: streamContentRules(client.context) });
 */
export function streamContentRules(context: RegistryContext, { read = (run) => run() }: StreamContentRulesOptions = {}): ContentRules {
  const compiled = new Map<string, { metadata: string; check: MaybePromise<ContentCheck | undefined> }>();
  /** Reads under way, per stream: a burst of messages on a stream the cache does not know yet makes one read, not one each. */
  const reading = new Map<string, Promise<string>>();

  function readMetadata(key: string, streamId: string): Promise<string> {
    let shared = reading.get(key);
    if (shared === undefined) {
      shared = read(() => getCachedStreamMetadata(context, { streamId })).finally(() => reading.delete(key));
      reading.set(key, shared);
    }
    return shared;
  }

  /** The stream's rule for this metadata: compiled once (shared by the messages that wait for it), then answered at once. */
  function ruleOf(streamKey: string, metadata: string): MaybePromise<ContentCheck | undefined> {
    const known = compiled.get(streamKey);
    if (known?.metadata === metadata) return known.check;
    const schema = schemaOf(metadata);
    const check = schema === undefined ? undefined : compileContentSchema(schema).catch((error: Error) => unusable(error));
    compiled.delete(streamKey);
    compiled.set(streamKey, { metadata, check });
    if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    if (check === undefined) return undefined;
    return check.then((ready) => {
      const entry = compiled.get(streamKey);
      if (entry?.metadata === metadata) entry.check = ready;
      return ready;
    });
  }

  return {
    ruleFor(streamId) {
      const { key } = streamRefOf(streamId);
      const cached = context.cache.metadata(key, Date.now());
      return cached !== undefined ? ruleOf(key, cached) : readMetadata(key, streamId).then((metadata) => ruleOf(key, metadata));
    },
  };
}
