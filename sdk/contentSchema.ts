import type Ajv2020 from "ajv/dist/2020";
import { InvalidArgumentError } from "./errors";
import type { ContentCheck } from "./message/content";
import { metadataObject } from "./partitions";

/** The largest schema a stream may carry, as JSON text: what a relay compiles is bounded by it. */
export const MAX_SCHEMA_BYTES = 8 * 1024;
/** The deepest nesting of objects and arrays in a schema (Ajv compiles recursively). */
export const MAX_SCHEMA_DEPTH = 32;
/** A schema that takes longer to compile is refused when set through the SDK, the CLI or the dApp. */
export const MAX_SCHEMA_COMPILE_MS = 250;

let ajv: Promise<Ajv2020> | undefined;

/**
 * Ajv for JSON Schema 2020-12, loaded on first use (a page whose streams have no schema never
 * downloads it), bounded: an unknown keyword is an error (a typo is not silently no rule), the
 * first violation only, no remote `$ref` (nothing is fetched), long `required`/`enum` lists
 * checked in loops rather than unrolled into code, nothing logged. Patterns (`pattern`,
 * `patternProperties`) run on RE2's linear-time engine (re2js), not on JavaScript's backtracking
 * one: a pattern such as `^(a+)+$` cannot make a relay spin on a hostile message. RE2 refuses
 * what it cannot match in linear time (backreferences, lookaround): such a schema does not compile.
 */
function loadAjv(): Promise<Ajv2020> {
  ajv ??= Promise.all([import("ajv/dist/2020"), import("re2js")]).then(([{ default: Ajv }, { RE2JS }]) => {
    const re2 = Object.assign((pattern: string) => RE2JS.compile(pattern), { code: "re2js" });
    const compiler = new Ajv({
      strictSchema: true,
      strictNumbers: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      allErrors: false,
      addUsedSchema: false,
      loopRequired: 20,
      loopEnum: 20,
      logger: false,
      code: { regExp: re2 },
    });
    // Ajv compiles its meta-schema's check on first use: paid here, once, not in a schema's compile time.
    compiler.removeSchema(compiler.compile({ type: "null" }).schema as object);
    return compiler;
  });
  ajv.catch(() => (ajv = undefined)); // a failed load (a chunk a browser could not fetch) is tried again
  return ajv;
}

function depthOf(value: unknown, depth = 0): number {
  if (depth > MAX_SCHEMA_DEPTH || typeof value !== "object" || value === null) return depth;
  let deepest = depth;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child, depth + 1));
  return deepest;
}

/**
 * Compiles a stream's content schema (JSON Schema 2020-12) into the check a validator runs on
 * each message's content; the check answers the first violation as `<JSON pointer> <message>`.
 * Throws InvalidArgumentError for a schema over MAX_SCHEMA_BYTES or MAX_SCHEMA_DEPTH, or one Ajv
 * refuses (invalid, an unknown keyword, a pattern RE2 cannot run).
 *
 * @param schema - the parsed schema (an object or a boolean)
 * @returns the check: undefined when content obeys it, else the first violation
 * @throws InvalidArgumentError
 * @example
 * const check = await compileContentSchema({ type: "object", required: ["t"], properties: { t: { type: "number" } } });
 * check({ t: "hot" }) // "/t must be number"
 */
export async function compileContentSchema(schema: unknown): Promise<ContentCheck> {
  if (typeof schema !== "boolean" && (typeof schema !== "object" || schema === null || Array.isArray(schema))) {
    throw new InvalidArgumentError("schema must be a JSON Schema: an object or a boolean");
  }
  // Depth first: it stops at the bound, where serialising a hostile depth would overflow the stack.
  if (depthOf(schema) > MAX_SCHEMA_DEPTH) throw new InvalidArgumentError(`schema nests deeper than ${MAX_SCHEMA_DEPTH} levels`);
  const bytes = new TextEncoder().encode(JSON.stringify(schema)).length;
  if (bytes > MAX_SCHEMA_BYTES) throw new InvalidArgumentError(`schema is ${bytes} bytes of JSON, more than the ${MAX_SCHEMA_BYTES} allowed`);
  const compiler = await loadAjv();
  let validate: ReturnType<Ajv2020["compile"]>;
  try {
    validate = compiler.compile(schema as object);
  } catch (error) {
    throw new InvalidArgumentError(`schema does not compile: ${(error as Error).message}`, { cause: error });
  } finally {
    // Ajv keeps what it compiled by schema: each stream's is dropped at once (the function stays usable).
    if (typeof schema === "object") compiler.removeSchema(schema as object);
  }
  return (content) => {
    if (validate(content)) return undefined;
    const [first] = validate.errors ?? [];
    return first === undefined ? "the content does not match the stream's schema" : `${first.instancePath || "/"} ${first.message ?? "is invalid"}`;
  };
}

/** The `schema` field of a stream's metadata (a JSON object), or undefined when it has none. */
export function schemaOf(metadata: string): unknown {
  return metadataObject(metadata)?.schema;
}

/**
 * Throws InvalidArgumentError unless the metadata's `schema`, if any, is one a validator can
 * use: it compiles (see `compileContentSchema`) within MAX_SCHEMA_COMPILE_MS. The SDK and the
 * CLI check it before writing, so that no transaction sets a rule every message would break.
 *
 * @example
 * await assertUsableContentSchema('{"schema":{"type":"number"}}')
 */
export async function assertUsableContentSchema(metadata: string): Promise<void> {
  const schema = schemaOf(metadata);
  if (schema === undefined) return;
  await loadAjv(); // not part of the compile time
  const started = performance.now();
  await compileContentSchema(schema);
  const took = performance.now() - started;
  if (took > MAX_SCHEMA_COMPILE_MS) throw new InvalidArgumentError(`schema took ${Math.round(took)} ms to compile, more than the ${MAX_SCHEMA_COMPILE_MS} ms allowed`);
}

/**
 * The metadata to write with `schema` set (merged into the JSON object), checked as
 * `assertUsableContentSchema` checks it. Without `schema`, `metadata` as is, its own `schema`
 * checked. InvalidArgumentError for a schema given with metadata that is not a JSON object.
 *
 * @example
 * await metadataWithSchema('{"partitions":2}', { type: "number" }) // '{"partitions":2,"schema":{"type":"number"}}'
 */
export async function metadataWithSchema(metadata: string, schema?: unknown): Promise<string> {
  let merged = metadata;
  if (schema !== undefined) {
    const object = metadataObject(metadata);
    if (object === undefined && metadata !== "") throw new InvalidArgumentError("schema needs metadata that is a JSON object (or none)");
    merged = JSON.stringify({ ...object, schema });
  }
  await assertUsableContentSchema(merged);
  return merged;
}
